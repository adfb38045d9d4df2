"""The workspace behind the strict fake Web API: channels, users, messages and streams, and the
answer to each method (refusals: see fake_slack_refusals)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from tests.bot.block_kit_rules import STREAM_TEXT, BlockError, check_view
from tests.bot.fake_slack_refusals import (
    SlackError,
    authorize,
    blocks_of,
    check_method,
    check_trigger,
    chunks_of,
    decode_cursor,
    encode_cursor,
    manifest_bot_scopes,
    message_content,
)

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test"
STREAM_LIMIT_S = 300.0
"""A stream not stopped within about five minutes stops accepting appends."""


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    state: str = "posted"
    """posted | streaming | stopped."""
    chunks: list[dict[str, Any]] = field(default_factory=list)
    started_at: float = 0.0


class Workspace:
    """One Slack workspace's state; `call` answers a Web API method or raises SlackError."""

    def __init__(self) -> None:
        self.tokens: dict[str, set[str]] = {BOT_TOKEN: manifest_bot_scopes()}
        self.app_tokens = {APP_TOKEN}
        self.channels: dict[str, list[str]] = {}
        """Channel id -> members (conversations.members pages through them)."""
        self.channel_names: dict[str, str] = {}
        """#name -> channel id: chat.postMessage takes either."""
        self.usergroups: dict[str, list[str]] = {}
        self.users_by_email: dict[str, str] = {}
        self.messages: dict[tuple[str, str], Message] = {}
        self.suggested_prompts: dict[str, list[dict[str, str]]] = {}
        self.offset_s = 0.0
        """Added to the clock: `advance` ages trigger ids and streams without sleeping."""
        self._ts = itertools.count(1)
        self._views = itertools.count(1)

    def now(self) -> float:
        return time.monotonic() + self.offset_s

    def add_channel(
        self, channel: str, members: list[str] | None = None, *, name: str = ""
    ) -> None:
        self.channels.setdefault(channel, list(members or []))
        if name:
            self.channel_names[f"#{name.lstrip('#')}"] = channel

    def message(self, channel: str, ts: str) -> Message | None:
        return self.messages.get((channel, ts))

    def _channel(self, args: dict[str, Any], name: str = "channel") -> str:
        channel = str(args.get(name) or "")
        if channel not in self.channels:
            raise SlackError("channel_not_found")
        return channel

    def _own_message(self, channel: str, ts: Any) -> Message:
        message = self.messages.get((channel, str(ts or "")))
        if message is None:
            raise SlackError("message_not_found")
        if message.user != BOT_USER_ID:
            raise SlackError("cant_update_message")
        return message

    def _streaming(self, channel: str, ts: Any) -> Message:
        message = self._own_message(channel, ts)
        if message.state == "streaming" and self.now() - message.started_at > STREAM_LIMIT_S:
            message.state = "stopped"  # Slack ends streams left open too long
        if message.state != "streaming":
            raise SlackError("message_not_in_streaming_state")
        return message

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    # --- methods ------------------------------------------------------------------------------
    def call(self, method: str, token: str, args: dict[str, Any]) -> dict[str, Any]:
        check_method(method)
        authorize(method, token, args, tokens=self.tokens, app_tokens=self.app_tokens)
        handler = getattr(self, "_" + method.replace(".", "_"))
        result: dict[str, Any] = handler(args)
        return {"ok": True, **result}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "helpbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        named = self.channel_names.get(str(args.get("channel") or ""))
        channel = named or self._channel(args)
        text, blocks = message_content(args)
        message = Message(channel, self.next_ts(), BOT_USER_ID, text, blocks)
        message.thread_ts = args.get("thread_ts") or None
        self.messages[(channel, message.ts)] = message
        shown: dict[str, Any] = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID}
        shown |= {"ts": message.ts, "text": text, "blocks": blocks}
        if message.thread_ts:
            shown["thread_ts"] = message.thread_ts
        return {"channel": channel, "ts": message.ts, "message": shown}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = self._own_message(channel, args.get("ts"))
        if message.state == "streaming":
            if self.now() - message.started_at <= STREAM_LIMIT_S:
                raise SlackError("cant_update_message")  # stop the stream first
            message.state = "stopped"
        message.text, message.blocks = message_content(args)
        message.chunks = []  # an edit replaces everything the message showed
        return {"channel": channel, "ts": message.ts, "text": message.text}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = self._own_message(channel, args.get("ts"))
        del self.messages[(channel, message.ts)]
        return {"channel": channel, "ts": message.ts}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._channel(args)
        if not args.get("user"):
            raise SlackError("user_not_found")
        message_content(args)
        return {"message_ts": self.next_ts()}

    def _chat_startStream(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if not args.get("thread_ts"):
            raise SlackError("invalid_arguments", errors=["thread_ts is required"])
        if not channel.startswith("D") and not (
            args.get("recipient_user_id") and args.get("recipient_team_id")
        ):
            raise SlackError("invalid_arguments", errors=["recipient ids are required"])
        chunks = chunks_of(args)
        message = Message(channel, self.next_ts(), BOT_USER_ID, thread_ts=args["thread_ts"])
        message.state, message.chunks, message.started_at = "streaming", chunks, self.now()
        self.messages[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts}

    def _chat_appendStream(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = self._streaming(channel, args.get("ts"))
        if len(str(args.get("markdown_text") or "")) > STREAM_TEXT:
            raise SlackError("msg_too_long")
        message.chunks.extend(chunks_of(args))
        return {"channel": channel, "ts": message.ts}

    def _chat_stopStream(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = self._streaming(channel, args.get("ts"))
        message.chunks.extend(chunks_of(args))
        message.blocks = blocks_of(args)
        message.state = "stopped"
        return {"channel": channel, "ts": message.ts, "message": {"ts": message.ts}}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        check_trigger(args, now=self.now())
        return self._view(args, "modal")

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args, "modal")

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            raise SlackError("invalid_arguments", errors=["user_id is required"])
        return self._view(args, "home")

    def _view(self, args: dict[str, Any], kind: str) -> dict[str, Any]:
        view = args.get("view") or {}
        try:
            check_view(view, kind=kind)
        except BlockError as error:
            raise SlackError("invalid_arguments", errors=[str(error)]) from error
        return {"view": {"id": f"V{next(self._views):05d}", **view}}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup") or "")
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": self.usergroups[group]}

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        members = self.channels[self._channel(args)]
        limit = int(args.get("limit") or 100)
        start = decode_cursor(args.get("cursor"))
        page = members[start : start + limit]
        more = start + limit < len(members)
        cursor = encode_cursor(start + limit) if more else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        return {"channel": {"id": channel, "is_im": channel.startswith("D")}}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        if not users or "," in users:
            raise SlackError("not_implemented_in_fake")
        channel = "D" + users[1:]
        self.add_channel(channel, [users, BOT_USER_ID])
        return {"channel": {"id": channel, "is_im": True}}

    def _users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users_by_email.get(str(args.get("email", "")).lower())
        if user is None:
            raise SlackError("users_not_found")
        return {"user": {"id": user, "is_bot": False}}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": {"id": args.get("user"), "is_bot": False}}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        self._own_message(self._channel(args), args.get("timestamp"))
        return {}

    _reactions_remove = _reactions_add

    def _assistant_threads_setStatus(self, args: dict[str, Any]) -> dict[str, Any]:
        self._channel(args, "channel_id")
        if not args.get("thread_ts"):
            raise SlackError("invalid_arguments", errors=["thread_ts is required"])
        return {}

    _assistant_threads_setTitle = _assistant_threads_setStatus

    def _assistant_threads_setSuggestedPrompts(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args, "channel_id")
        prompts = args.get("prompts")
        if not isinstance(prompts, list) or not 0 < len(prompts) <= 4:
            raise SlackError("invalid_arguments", errors=["1-4 prompts with title and message"])
        if not all(p.get("title") and p.get("message") for p in prompts):
            raise SlackError("invalid_arguments", errors=["1-4 prompts with title and message"])
        self.suggested_prompts[channel] = list(prompts)
        return {}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "ws://127.0.0.1:1/never"}
