"""Slack's side of the protocol: event / command / interaction payloads, signed and delivered."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from tests.bot.fake_slack_api import BOT_USER_ID, TEAM_ID, issue_trigger_id

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_ids = itertools.count(1)
_ts = itertools.count(1)
_TS_BASE = int(time.time())  # user messages of one run never repeat an earlier run's


def next_ts() -> str:
    """A fresh user-message ts (apart from the fake's bot-message ts, 1700000000.*)."""
    return f"{_TS_BASE}.{next(_ts):06d}"


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{_TS_BASE}{next(_ids):06d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention(
    user: str, channel: str, text: str, *, ts: str | None = None, thread_ts: str | None = None
) -> dict[str, Any]:
    ts = ts or next_ts()
    event = {
        "type": "app_mention",
        "user": user,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "text": f"<@{BOT_USER_ID}> {text}",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    user: str,
    channel: str,
    text: str,
    *,
    channel_type: str = "channel",
    ts: str | None = None,
    thread_ts: str | None = None,
    bot_id: str | None = None,
    subtype: str | None = None,
) -> dict[str, Any]:
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "text": text,
        "channel_type": channel_type,
        "client_msg_id": f"c-{ts}",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if bot_id:
        event["bot_id"] = bot_id
    if subtype:
        event["subtype"] = subtype
    return event


def reaction(
    kind: str, user: str, name: str, channel: str, ts: str, item_user: str = BOT_USER_ID
) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user,
        "reaction": name,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": next_ts(),
    }


def assistant_thread_started(user: str, channel: str, thread_ts: str) -> dict[str, Any]:
    return {
        "type": "assistant_thread_started",
        "event_ts": next_ts(),
        "assistant_thread": {
            "user_id": user,
            "channel_id": channel,
            "thread_ts": thread_ts,
            "context": {},
        },
    }


def app_home_opened(user: str, *, tab: str = "home", channel: str = "D0HOME") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": next_ts(),
    }


def command(user: str, channel: str, text: str, response_url: str) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": "someone",
        "command": "/ask",
        "text": text,
        "api_app_id": "A0001",
        "response_url": response_url,
        "trigger_id": issue_trigger_id(),
    }


def block_action(
    user: str,
    channel: str,
    action_id: str,
    value: str,
    *,
    message_ts: str | None,
    thread_ts: str | None = None,
    response_url: str = "",
    ephemeral: bool = False,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "type": "message",
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    body: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0001",
        "token": "legacy",
        "container": container,
        "trigger_id": issue_trigger_id(),
        "channel": {"id": channel, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"feedback:{value}",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    if message_ts and not ephemeral:
        container["message_ts"] = message_ts
        body["message"] = {
            "type": "message",
            "ts": message_ts,
            "user": BOT_USER_ID,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        }
    return body


def view_submission(user: str, view: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": issue_trigger_id(),
        "view": {
            "id": "V00001",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "team_id": TEAM_ID,
            "state": {
                "values": {"correction": {"text": {"type": "plain_text_input", "value": text}}}
            },
        },
    }


def interaction_form(payload: dict[str, Any]) -> dict[str, str]:
    return {"payload": json.dumps(payload)}


@dataclass
class Delivery:
    status: int
    body: str
    seconds: float


class SlackSender:
    """Posts signed requests to the bot's HTTP endpoint the way Slack does."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.verifier = SignatureVerifier(secret)
        self.client = httpx.Client(timeout=30.0)

    def close(self) -> None:
        self.client.close()

    def _post(
        self,
        body: str,
        content_type: str,
        *,
        retry_num: int | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        url: str | None = None,
    ) -> Delivery:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature
            or str(self.verifier.generate_signature(timestamp=stamp, body=body)),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        started = time.perf_counter()
        response = self.client.post(url or self.url, content=body.encode(), headers=headers)
        return Delivery(response.status_code, response.text, time.perf_counter() - started)

    def event(self, event_or_body: dict[str, Any], **kwargs: Any) -> Delivery:
        body = event_or_body if "event" in event_or_body else event_body(event_or_body)
        return self._post(json.dumps(body), "application/json", **kwargs)

    def form(self, fields: dict[str, str], **kwargs: Any) -> Delivery:
        return self._post(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> Delivery:
        return self.form(interaction_form(payload), **kwargs)
