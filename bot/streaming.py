"""One answer shown through Slack's native stream (steps, checked text, feedback at the stop),
rolled over before Slack's stream time limit, with `chat.update` as the fallback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.chat_stream import ChatStream

from bot import progress
from bot.answer_markdown import plain
from bot.blocks import Block, streaming_text
from bot.replies import Reply
from bot.slack_api import SlackApi

log = logging.getLogger(__name__)

WITHDRAWN = "_(see the answer below)_"
NOT_EDITABLE = ("message_not_found", "cant_update_message")
"""Refusals of an edit after which the answer is posted anew: the message was deleted, or a
stream that could not be stopped still holds it."""


def slack_error(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "error")
    return type(error).__name__


@dataclass(frozen=True)
class Final:
    """The checked answer in the two shapes it is shown in."""

    markdown: str
    """Answer, notes and sources in Markdown (the stream's text)."""
    footer: list[Block]
    """Feedback buttons and reference, attached at the stream's stop."""
    blocks: list[Block]
    """The whole message (markdown block + footer) for chat.update / chat.postMessage."""
    fallback: str
    """Plain text for notifications."""
    chunks: list[dict[str, Any]]
    """The finished steps."""


class AnswerStream:
    """Shows one answer in the question's thread, exactly once.

    `start` opens a native stream with the first step; if Slack refuses (not_allowed, plan
    restrictions, an old workspace), everything goes through a Reply (chat.postMessage, then
    chat.update) instead. Text is appended only when the caller says it may be (checked or
    trusted); `finish` ends with the checked answer and leaves no trace of text it replaces.
    """

    def __init__(
        self,
        api: SlackApi,
        reply: Reply,
        *,
        user_id: str,
        team_id: str,
        clock: Callable[[], datetime],
        rollover_s: float,
        on_posted: Callable[[str], None],
    ) -> None:
        self._api = api
        self.reply = reply
        self._user = user_id
        self._team = team_id
        self._clock = clock
        self._rollover_s = rollover_s
        self._on_posted = on_posted
        self._stream: ChatStream | None = None
        self._started: datetime | None = None
        self._text = ""
        """Text appended to the current message (shown, not yet checked)."""
        self._shown = ""
        """Text appended to all messages of this answer, in order."""
        self._earlier: list[str] = []
        """Messages rolled over from (they hold text too)."""
        self._lock = threading.Lock()
        self.done = False
        self.streaming = False
        self.calls = 0

    @property
    def ts(self) -> str | None:
        return self._stream.ts if self._stream is not None else self.reply.ts

    def start(self, chunks: list[dict[str, Any]]) -> bool:
        """Open the stream with the first steps; False: Slack refused, the Reply is used."""
        with self._lock:
            try:
                self._open(chunks)
            except (SlackApiError, SlackRequestError) as error:
                log.info("streaming refused in %s: %s", self.reply.channel, slack_error(error))
                self._stream = None
                return False
            self.streaming = True
            return True

    def _open(self, chunks: list[dict[str, Any]]) -> None:
        stream = self._api.open_stream(
            self.reply.channel, self.reply.thread_ts or "", user_id=self._user, team_id=self._team
        )
        stream.append(chunks=chunks)
        self.calls += 1
        if not stream.ts:
            raise SlackRequestError("chat.startStream gave no ts")
        self._stream, self._started, self._text = stream, self._clock(), ""
        self.reply.ts = stream.ts
        self._on_posted(str(stream.ts))

    def steps(self, chunks: list[dict[str, Any]]) -> None:
        """Progress; never raises (a cut-off stream is dealt with at the finish)."""
        self._append(chunks=chunks)

    def text(self, markdown: str) -> None:
        """Answer text the caller may show before the check (see QuestionFlow)."""
        if markdown:
            self._append(markdown=markdown)

    def _append(self, *, markdown: str = "", chunks: list[dict[str, Any]] | None = None) -> None:
        with self._lock:
            if self._stream is None or self.done:
                return
            try:
                self._roll_over_if_due()
                if markdown:
                    self._stream.append(markdown_text=markdown)
                    self._text += markdown
                    self._shown += markdown
                else:
                    self._stream.append(chunks=chunks)
                self.calls += 1
            except (SlackApiError, SlackRequestError) as error:
                log.warning("stream in %s cut off: %s", self.reply.channel, slack_error(error))
                self._stream = None  # the finish edits or re-posts the message instead

    def _roll_over_if_due(self) -> None:
        """Before Slack's limit (about 5 min) stop this message and go on in a new one."""
        assert self._stream is not None and self._started is not None
        if (self._clock() - self._started).total_seconds() < self._rollover_s:
            return
        previous = self._stream
        previous.stop(chunks=[progress.task(progress.WRITE, "Continued below", "complete")])
        self.calls += 1
        if self._text:
            self._earlier.append(str(previous.ts))
        self._open([progress.task(progress.WRITE, progress.WRITING, "in_progress")])

    def finish(self, final: Final) -> None:
        """End with the checked answer: appended at the stop when it continues what was shown,
        else the stopped message is replaced with it (and rolled-over text withdrawn); posted
        anew if the message is gone. Raises only when no reply could be shown at all."""
        with self._lock:
            if self.done:
                return
            stream, shown = self._stream, self._shown
            continues = final.markdown.startswith(shown)
            if stream is not None:
                try:
                    if continues:
                        rest = final.markdown[len(shown) :]
                        stream.stop(
                            markdown_text=rest or None, chunks=final.chunks, blocks=final.footer
                        )
                        self.calls += 1
                        self.done = True
                        return
                    stream.stop(chunks=final.chunks)  # the checked answer replaces the text
                    self.calls += 1
                except (SlackApiError, SlackRequestError) as error:
                    log.warning(
                        "stream stop in %s refused: %s", self.reply.channel, slack_error(error)
                    )
            self._replace(final)
            if not continues:
                self._withdraw_earlier()
            self.done = True

    def _replace(self, final: Final) -> None:
        """chat.update of the message (a stopped or expired stream, or the fallback's
        placeholder); a new message when it cannot be edited (deleted meanwhile)."""
        self.reply.final = False
        try:
            self.reply.show(final.fallback, final.blocks, final=True)
        except SlackApiError as error:
            if self.reply.ts is None or slack_error(error) not in NOT_EDITABLE:
                raise  # refused content or a refused post: the caller's error reply follows
            log.warning(
                "answer message in %s not editable: %s", self.reply.channel, slack_error(error)
            )
            self.reply.ts = None
            self.reply.show(final.fallback, final.blocks, final=True)
        self.calls += 1

    def _withdraw_earlier(self) -> None:
        for ts in self._earlier:
            try:
                self._api.update_message(self.reply.channel, ts, WITHDRAWN)
                self.calls += 1
            except SlackApiError as error:
                log.info("rolled-over message not withdrawn: %s", slack_error(error))

    def fail(self, text: str) -> bool:
        """An error reply in place of the answer (the steps say it failed); any unchecked
        text shown so far is replaced by it."""
        with self._lock:
            if self.done:
                return False
            self.done = True
            if self._stream is not None:
                try:
                    if not self._shown:
                        self._stream.stop(markdown_text=text, chunks=progress.failed())
                        return True
                    self._stream.stop(chunks=progress.failed())
                except (SlackApiError, SlackRequestError) as error:
                    log.warning("stream stop failed: %s", slack_error(error))
            self.reply.final = False
            if self.reply.try_show(text, final=True):
                self._withdraw_earlier()
                return True
            self.reply.ts = None
            return self.reply.try_show(text, final=True)


class TokenFeed:
    """The engine's tokens become the 'writing' step and, when the caller allows it, paced
    text: appended to the stream, or (fallback) the whole text so far by chat.update."""

    def __init__(
        self,
        stream: AnswerStream,
        *,
        show_text: bool,
        interval_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._stream = stream
        self.show_text = show_text
        self._interval = interval_s
        self._clock = clock
        self._pending = ""
        self._whole = ""
        self._last = clock()
        self._lock = threading.Lock()
        self.started = False
        self.first_text_at: datetime | None = None

    def on_token(self, token: str) -> None:
        with self._lock:
            first, self.started = not self.started, True
            self._pending += token
            now = self._clock()
            piece = ""
            if self.show_text and (now - self._last).total_seconds() >= self._interval:
                # Hold back a trailing '<': with the next token it may be a mention to defuse.
                cut = len(self._pending) - (1 if self._pending.endswith("<") else 0)
                piece, self._pending = self._pending[:cut], self._pending[cut:]
                if not self._whole:
                    piece = piece.lstrip()
                self._whole += piece
                self._last = now
        if first and self._stream.streaming:
            self._stream.steps(progress.writing())
        if not piece:
            return
        if self.first_text_at is None:
            self.first_text_at = now
        if self._stream.streaming:
            self._stream.text(plain(piece))
        else:
            self._stream.reply.try_show(streaming_text(self._whole))
