"""The bot's one reply to a question: posted once, then updated (progress, answer)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.blocks import Block
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
                try:
                    self._api.update_message(self.channel, self.ts, text, blocks=blocks)
                except SlackApiError as error:
                    if error.response.get("error") != "message_not_found":
                        raise
                    # Deleted while the answer was made: the answer goes in a new message.
                    log.warning("reply in %s was deleted; posting anew", self.channel)
                    self.ts = self._api.post_message(
                        self.channel, text, blocks=blocks, thread_ts=self.thread_ts
                    )
                    if self._on_posted is not None:
                        self._on_posted(self.ts)
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
