"""The bot's one reply to a question: posted once, then updated (progress, stream, answer)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from bot.blocks import Block, streaming_text
from bot.slack_api import SlackApi

log = logging.getLogger(__name__)


class Reply:
    """One message in the question's thread (or one ephemeral answer via a response_url).

    The first `show` posts it, later ones update it, so a question never gets two replies.
    Once the final content is shown, progress updates (a late stream token, the slow-answer
    notice) are ignored.
    """

    def __init__(
        self,
        api: SlackApi,
        channel: str,
        thread_ts: str | None,
        *,
        response_url: str | None = None,
        on_posted: Callable[[str], None] | None = None,
    ) -> None:
        self._api = api
        self.channel = channel
        self.thread_ts = thread_ts
        self.response_url = response_url
        self.ts: str | None = None
        self.final = False
        self._on_posted = on_posted
        self._lock = threading.Lock()

    @property
    def streams(self) -> bool:
        """Response URLs allow only a handful of uses: no streaming through them."""
        return self.response_url is None

    def show(self, text: str, blocks: list[Block] | None = None, *, final: bool = False) -> None:
        with self._lock:
            if self.final:
                return
            if self.response_url is not None:
                self._api.respond(
                    self.response_url, text, blocks=blocks, replace_original=self.ts is not None
                )
                self.ts = self.ts or "ephemeral"
            elif self.ts is None:
                self.ts = self._api.post_message(
                    self.channel, text, blocks=blocks, thread_ts=self.thread_ts
                )
                if self._on_posted is not None:
                    self._on_posted(self.ts)
            else:
                self._api.update_message(self.channel, self.ts, text, blocks=blocks)
            self.final = final  # only once shown: a failed final answer leaves room for an error

    def try_show(
        self, text: str, blocks: list[Block] | None = None, *, final: bool = False
    ) -> bool:
        """`show`, logging instead of raising (progress must never break an answer)."""
        try:
            self.show(text, blocks, final=final)
        except Exception as error:
            log.warning("reply in %s failed: %s", self.channel, type(error).__name__)
            return False
        return True


class Streamer:
    """Turns the engine's tokens into chat.update calls at a modest pace."""

    def __init__(self, reply: Reply, interval_s: float, clock: Callable[[], datetime]) -> None:
        self._reply = reply
        self._interval = interval_s
        self._clock = clock
        self._parts: list[str] = []
        self._last = clock()  # the first update comes one interval after the start
        self._lock = threading.Lock()
        self.updates = 0

    def on_token(self, token: str) -> None:
        with self._lock:
            self._parts.append(token)
            now = self._clock()
            if (now - self._last).total_seconds() < self._interval:
                return
            self._last = now
            text = "".join(self._parts).strip()
        if text and self._reply.try_show(streaming_text(text)):
            self.updates += 1
