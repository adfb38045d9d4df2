"""The one module that talks to Slack's Web API (the WebClient Bolt uses, and response URLs)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.chat_stream import ChatStream
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)

Blocks = Sequence[dict[str, Any]]


class RetryAfterHandler(RetryHandler):
    """Retries a call Slack answered with 429, after waiting the seconds its Retry-After says."""

    def __init__(self, sleep: Callable[[float], None], max_retry_count: int = 3) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = 1.0
        headers = response.headers if response is not None else {}
        for name, values in headers.items():
            if name.lower() == "retry-after" and values:
                with contextlib.suppress(ValueError):
                    wait = float(values[0])
        log.warning(
            "Slack rate limit on %s: retrying in %.1f s", request.url.rsplit("/", 1)[-1], wait
        )
        self._sleep(wait)
        state.increment_current_attempt()


def retry_handlers(sleep: Callable[[float], None]) -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(max_retry_count=2), RetryAfterHandler(sleep)]


def make_web_client(token: str, base_url: str, sleep: Callable[[float], None]) -> WebClient:
    """The WebClient the Bolt app (and everything below) uses: 429s waited out, not dropped."""
    return WebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(sleep))


def make_outbox_client(token: str, base_url: str) -> WebClient:
    """A WebClient that retries nothing: the outbox reschedules a 429 or a network error on
    the row itself, so no thread sleeps while holding a claim and stopping is immediate."""
    return WebClient(token=token, base_url=base_url, retry_handlers=[], timeout=20)


def retry_after(error: SlackApiError) -> float | None:
    """The seconds a 429's Retry-After header asks for (None when there is none)."""
    headers = getattr(error.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            with contextlib.suppress(TypeError, ValueError):
                return max(0.0, float(raw))
    return None


class SlackApi:
    """The Web API calls the bot makes, with plain arguments; errors raise SlackApiError."""

    def __init__(self, client: WebClient, sleep: Callable[[float], None]) -> None:
        self.client = client
        self._sleep = sleep

    # --- messages -----------------------------------------------------------------------------
    def post_message(
        self, channel: str, text: str, *, blocks: Blocks | None = None, thread_ts: str | None = None
    ) -> str:
        """Post a message; returns its ts."""
        response = self.client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=list(blocks) if blocks else None,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    def update_message(
        self, channel: str, ts: str, text: str, *, blocks: Blocks | None = None
    ) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=list(blocks or []))

    def delete_message(self, channel: str, ts: str) -> None:
        self.client.chat_delete(channel=channel, ts=ts)

    # --- native streaming (chat.startStream / appendStream / stopStream) -----------------------
    def open_stream(
        self, channel: str, thread_ts: str, *, user_id: str, team_id: str
    ) -> ChatStream:
        """A stream replying in a thread (nothing is sent until its first append). Every
        append is sent at once (buffer_size=1): the caller paces them."""
        return self.client.chat_stream(
            buffer_size=1,
            channel=channel,
            thread_ts=thread_ts,
            recipient_user_id=user_id or None,
            recipient_team_id=team_id or None,
        )

    def post_ephemeral(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> None:
        self.client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)

    def respond(
        self,
        response_url: str,
        text: str,
        *,
        blocks: Blocks | None = None,
        replace_original: bool = False,
        delete_original: bool = False,
    ) -> None:
        """Answer through an interaction's response_url (ephemeral slash-command answers)."""
        webhook = WebhookClient(response_url, retry_handlers=retry_handlers(self._sleep))
        response = webhook.send(
            text=text,
            blocks=list(blocks) if blocks else None,
            response_type="ephemeral",
            replace_original=replace_original,
            delete_original=delete_original,
        )
        if response.status_code != 200:
            raise RuntimeError(f"response_url answered {response.status_code}")

    # --- direct messages ---------------------------------------------------------------------
    def user_by_email(self, email: str) -> str:
        """The Slack user id of an email address (users:read.email); users_not_found if none."""
        response = self.client.users_lookupByEmail(email=email)
        return str(response["user"]["id"])

    def open_dm(self, user_id: str) -> str:
        """The id of the bot's direct-message conversation with a person (opened if needed)."""
        response = self.client.conversations_open(users=[user_id])
        return str(response["channel"]["id"])

    # --- views --------------------------------------------------------------------------------
    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        self.client.views_open(trigger_id=trigger_id, view=view)

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        self.client.views_publish(user_id=user_id, view=view)

    # --- assistant threads --------------------------------------------------------------------
    def set_status(
        self,
        channel: str,
        thread_ts: str,
        status: str,
        loading_messages: Sequence[str] | None = None,
    ) -> None:
        """The thread's 'is thinking…' status; Slack rotates the loading messages and clears
        it when the app replies."""
        self.client.assistant_threads_setStatus(
            channel_id=channel,
            thread_ts=thread_ts,
            status=status,
            loading_messages=list(loading_messages) if loading_messages else None,
        )

    def set_suggested_prompts(
        self, channel: str, thread_ts: str | None, prompts: Sequence[str], title: str
    ) -> None:
        """Prompts offered to the person; without a thread (the agent messages tab) they are
        set for the conversation itself."""
        self.client.assistant_threads_setSuggestedPrompts(
            channel_id=channel,
            thread_ts=thread_ts,
            title=title,
            prompts=[{"title": p[:75], "message": p} for p in list(prompts)[:4]],
        )

    def set_title(self, channel: str, thread_ts: str, title: str) -> None:
        self.client.assistant_threads_setTitle(channel_id=channel, thread_ts=thread_ts, title=title)

    # --- membership (for audiences) -----------------------------------------------------------
    def usergroup_members(self, usergroup_id: str) -> set[str]:
        response = self.client.usergroups_users_list(usergroup=usergroup_id)
        return set(response.get("users") or [])

    def channel_members(self, channel_id: str) -> set[str]:
        members: set[str] = set()
        cursor: str | None = None
        while True:
            response = self.client.conversations_members(
                channel=channel_id, cursor=cursor, limit=1000
            )
            members.update(response.get("members") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return members
