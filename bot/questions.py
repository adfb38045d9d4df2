"""Answering a question: claim it once, record it, show progress, answer in a worker, reply."""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import blocks, progress
from bot.audiences import AudienceResolver
from bot.deps import Deps
from bot.events import Question
from bot.replies import Reply
from bot.sharing import everyone_may_see
from bot.slack_api import SlackApi
from bot.streaming import AnswerStream, Final, TokenFeed
from bot.trust import may_stream_text
from bot.workers import CountingExecutor
from knowledge.answering.answer_types import Answer, Asker, Turn
from knowledge.db import conversations as store
from knowledge.observability import QUESTIONS, record_answer
from knowledge.stores.base import EVERYONE, StoreUnavailableError

log = logging.getLogger(__name__)

KIND_OF_SOURCE = {"mention": "channel", "thread": "channel", "dm": "dm", "command": "command"}
ASSISTANT_STATUS = "is looking through our policies…"
STATUS_KINDS = ("assistant", "dm")
"""Conversations with the app (messages tab, assistant panel) show a thread status."""


def new_reference() -> str:
    return uuid.uuid4().hex[:10]


def jsonable(value: Any) -> Any:
    """Dataclasses, dates and tuples as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def _source(question: Question, kind: str) -> str:
    """How the question came in, as stored: a DM thread reply is a DM, not the assistant."""
    if question.source == "assistant" and kind != "assistant":
        return "dm"
    return question.source


def failure_reason(error: BaseException) -> str:
    if isinstance(error, StoreUnavailableError):
        return "store"
    if isinstance(error, TimeoutError):
        return "timeout"
    return "error"


@dataclass
class Job:
    """One accepted question on its way to an answer."""

    question: Question
    exchange_id: int
    conversation_id: int
    reference: str
    reply: Reply
    kind: str
    accepted_at: datetime
    stream: AnswerStream
    late: threading.Timer | None = None
    """Fires the slow-answer notice unless the answer comes first."""
    first_step_at: datetime | None = None
    """When the first progress reached Slack (a step, or the placeholder)."""


class QuestionFlow:
    """Everything between Slack's acknowledgement and the posted answer."""

    def __init__(
        self, deps: Deps, api: SlackApi, audiences: AudienceResolver, queue: CountingExecutor
    ) -> None:
        self.deps = deps
        self.config = deps.config
        self.api = api
        self.audiences = audiences
        self.queue = queue

    # --- accepting (quick: runs right after the ack) ------------------------------------------
    def ask(self, question: Question) -> Job | None:
        """Claim the question (once across retries and replicas), record it, show progress and
        queue the answer. Returns None when there is nothing to answer."""
        now = self.deps.clock()
        reference = new_reference()
        with self.deps.db.session() as session:
            accepted = self._accept(session, question, reference, now)
        if accepted is None:
            return None
        kind, conversation_id, exchange_id, first, limited = accepted
        reply = Reply(
            self.api,
            question.channel_id,
            question.thread_ts,
            response_url=question.response_url if kind == "command" else None,
            on_posted=lambda ts: self._remember_ts(exchange_id, ts),
        )
        if not question.text:
            reply.try_show(blocks.empty_question_text(), final=True)
            return None
        log.info(
            "question %s accepted: %s in %s (ts %s)",
            reference,
            question.source,
            question.channel_id,
            question.ts,
        )
        QUESTIONS.labels(surface=question.source).inc()
        if limited:
            log.info("question %s refused: %s over the rate limit", reference, question.user_id)
            record_answer("rate_limited")
            text = blocks.rate_limited_text(
                self.config.rate_limit_per_minute, self.config.help_contact
            )
            reply.try_show(text, final=True)
            return None
        stream = AnswerStream(
            self.api,
            reply,
            user_id=question.user_id,
            team_id=question.team_id,
            clock=self.deps.clock,
            rollover_s=self.config.stream_rollover_s,
            on_posted=lambda ts: self._remember_ts(exchange_id, ts),
        )
        job = Job(question, exchange_id, conversation_id, reference, reply, kind, now, stream)
        self._show_progress(job, first)
        # The slow-answer notice counts from now: time waiting in the queue counts too.
        job.late = threading.Timer(self.config.answer_timeout_s, self._late, (job,))
        job.late.daemon = True
        job.late.start()
        self.queue.submit(self.answer, job)
        return job

    def _accept(
        self, session: Session, question: Question, reference: str, now: datetime
    ) -> tuple[str, int, int, bool, bool] | None:
        """(kind, conversation id, exchange id, first in thread, over the rate limit), or None
        when the question is not ours (a thread without the bot) or already claimed."""
        kind = self._kind(session, question)
        if kind is None:
            return None
        claimed = store.claim_event(
            session,
            key=question.dedup_key,
            kind=question.source,
            event_id=question.event_id,
            handled_by=self.config.instance_id,
            now=now,
        )
        if not claimed:
            log.info("duplicate delivery of %s ignored", question.dedup_key)
            return None
        if not question.text:
            return kind, 0, 0, False, False
        recent = store.questions_since(session, question.user_id, now - timedelta(minutes=1))
        limited = recent >= self.config.rate_limit_per_minute
        conversation = store.open_conversation(
            session,
            team_id=question.team_id,
            channel_id=question.channel_id,
            thread_ts=question.thread_ts,
            kind=kind,
            started_by=question.user_id,
            now=now,
            title=question.text[:200],
        )
        first = not conversation.exchanges
        exchange = store.add_exchange(
            session,
            conversation_id=conversation.id,
            reference=reference,
            source=_source(question, kind),
            asker_id=question.user_id,
            question=question.text,
            question_ts=question.ts,
            now=now,
            visibility="private" if kind == "command" else "thread",
            status="rate_limited" if limited else "pending",
        )
        return kind, conversation.id, exchange.id, first, limited

    def _kind(self, session: Session, question: Question) -> str | None:
        """Where the conversation happens; None for a thread reply in a thread without the bot."""
        if question.source in ("thread", "assistant") and question.thread_ts:
            found = store.find_conversation(
                session,
                team_id=question.team_id,
                channel_id=question.channel_id,
                thread_ts=question.thread_ts,
            )
            if found is not None:
                return found.kind
            return None if question.source == "thread" else "dm"
        return KIND_OF_SOURCE[question.source]

    def _show_progress(self, job: Job, first: bool) -> None:
        """The thread's status (app conversations), then the first step in a native stream,
        or a placeholder message where streaming is off or refused."""
        question = job.question
        if job.kind in STATUS_KINDS and question.thread_ts:
            try:
                self.api.set_status(
                    question.channel_id,
                    question.thread_ts,
                    ASSISTANT_STATUS,
                    loading_messages=progress.LOADING_MESSAGES,
                )
                if first and job.kind == "assistant":
                    self.api.set_title(question.channel_id, question.thread_ts, question.text[:60])
            except Exception as error:
                log.info("thread status for %s not set: %s", job.reference, type(error).__name__)
        streams = self.config.streaming and job.reply.streams and question.thread_ts
        if streams and job.stream.start(progress.searching(self.queue.waiting)):
            job.first_step_at = self.deps.clock()
            return
        if job.kind != "assistant" and job.reply.try_show(blocks.thinking_text(self.queue.waiting)):
            job.first_step_at = self.deps.clock()

    def _remember_ts(self, exchange_id: int, ts: str) -> None:
        if exchange_id and ts != "ephemeral":
            with self.deps.db.session() as session:
                store.set_answer_message(session, exchange_id, ts)

    # --- answering (slow: runs in the answer workers) -----------------------------------------
    def answer(self, job: Job) -> None:
        """Generate, record and post the answer; any failure becomes an error reply."""
        started = self.deps.clock()
        queued = (started - job.accepted_at).total_seconds()
        try:
            answer, audiences, feed = self._generate(job)
            total = (self.deps.clock() - started).total_seconds()
            timings = {"queued": queued, **answer.timings, "bot_total": total}
            if feed.first_text_at is not None:
                timings["first_text"] = (feed.first_text_at - job.accepted_at).total_seconds()
            if job.first_step_at is not None:
                timings["first_step"] = (job.first_step_at - job.accepted_at).total_seconds()
            self._record(job, answer, audiences, timings)
            view = self._view(job, answer, audiences)
            job.stream.finish(
                Final(
                    markdown=blocks.answer_text_markdown(view),
                    footer=blocks.answer_footer_blocks(view),
                    blocks=blocks.answer_blocks(view),
                    fallback=blocks.answer_fallback(view),
                    chunks=progress.finished(answer, wrote=feed.started),
                )
            )
            record_answer(
                "abstained" if answer.abstained else "answered",
                abstained=answer.abstained,
                grounding_failed=answer.grounding_failed,
                stage_seconds=timings,
            )
        except Exception as error:
            self._fail(job, error, {"queued": queued})
            return
        finally:
            if job.late is not None:
                job.late.cancel()
        log.info(
            "answer %s posted (%s, model %s, %.2f s)",
            job.reference,
            "abstained" if answer.abstained else "answered",
            answer.model_version,
            total,
        )

    def _generate(self, job: Job) -> tuple[Answer, tuple[str, ...], TokenFeed]:
        question = job.question
        private = job.kind in ("dm", "assistant", "command")
        audiences = self.audiences.audiences_for(question.user_id) if private else (EVERYONE,)
        with self.deps.db.session() as session:
            pairs = store.thread_history(
                session,
                job.conversation_id,
                before_id=job.exchange_id,
                limit=self.config.history_turns,
            )
        history = tuple(turn for q, a in pairs for turn in (Turn("user", q), Turn("assistant", a)))
        # Unchecked model text reaches a person only from a model whose evaluated
        # grounding-pass rate reaches the setting; otherwise only the steps stream.
        show_text = job.reply.streams and may_stream_text(
            self.deps.grounding_pass_rate(), self.config.stream_text_min_pass_rate
        )
        feed = TokenFeed(
            job.stream,
            show_text=show_text,
            interval_s=self.config.stream_interval_s,
            clock=self.deps.clock,
        )
        answer = self.deps.answers.answer(
            question.text, Asker(question.user_id, audiences), history, on_token=feed.on_token
        )
        return answer, audiences, feed

    def _record(
        self, job: Job, answer: Answer, audiences: tuple[str, ...], timings: dict[str, float]
    ) -> None:
        with self.deps.db.session() as session:
            store.record_answer(
                session,
                job.exchange_id,
                status="abstained" if answer.abstained else "answered",
                audiences=audiences,
                answer=answer.text,
                standalone_question=answer.standalone_question,
                citations=jsonable(list(answer.citations)),
                passages=jsonable(list(answer.passages)),
                confidence=answer.confidence,
                abstained=answer.abstained,
                grounding_failed=answer.grounding_failed,
                note=answer.note,
                model_version=answer.model_version,
                timings=timings,
                now=self.deps.clock(),
            )

    def _view(self, job: Job, answer: Answer, audiences: tuple[str, ...]) -> blocks.AnswerView:
        private = job.kind == "command"
        return blocks.AnswerView(
            reference=job.reference,
            text=answer.text,
            citations=answer.citations,
            abstained=answer.abstained,
            note=answer.note,
            help_contact=self.config.help_contact,
            private=private,
            shareable=private
            and everyone_may_see(
                self.deps.db, answer.citations, audiences, passages=answer.passages
            ),
        )

    def _fail(self, job: Job, error: BaseException, timings: dict[str, float]) -> None:
        reason = failure_reason(error)
        record_answer("error", stage_seconds=timings)
        log.error(
            "answer %s failed (%s): %s", job.reference, reason, type(error).__name__, exc_info=error
        )
        try:
            with self.deps.db.session() as session:
                store.record_failure(
                    session,
                    job.exchange_id,
                    now=self.deps.clock(),
                    error=f"{type(error).__name__}: {error}",
                    timings=timings,
                )
        except Exception:
            log.exception("answer %s: recording the failure failed too", job.reference)
        job.stream.fail(blocks.error_text(reason, job.reference, self.config.help_contact))

    def _late(self, job: Job) -> None:
        log.warning("answer %s is late (over %.0f s)", job.reference, self.config.answer_timeout_s)
        try:
            with self.deps.db.session() as session:
                store.note_error(
                    session, job.exchange_id, f"late: over {self.config.answer_timeout_s:.0f} s"
                )
        except Exception as error:
            log.warning(
                "answer %s: noting the delay failed: %s", job.reference, type(error).__name__
            )
        if job.stream.streaming:
            job.stream.steps(progress.late(job.reference))
        else:
            job.reply.try_show(blocks.late_text(job.reference))
