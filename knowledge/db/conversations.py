"""Queries on Slack conversations: event claims, threads, questions and answers, votes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge.db.conversation_models import Conversation, Exchange, SlackEvent, Vote

FINAL_STATUSES = ("answered", "abstained", "failed")
COUNTED_STATUSES = ("pending", "answered", "abstained", "failed")
"""Statuses that count towards a person's rate limit (refused questions do not)."""


def _insert_ignoring_duplicates(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    Atomic in the database, so two replicas racing on the same key get one winner. RETURNING
    tells who won (rowcount is not reliable here: psycopg reports -1).
    """
    dialect = session.get_bind().dialect.name
    key = next(iter(table.primary_key.columns))
    statement: Insert
    if dialect == "sqlite":
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "postgresql":
        statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:  # other databases: a plain insert inside a savepoint
        try:
            with session.begin_nested():
                session.execute(insert(table).values(**values))
        except IntegrityError:
            return False
        return True
    return session.execute(statement.returning(key)).first() is not None


# --- de-duplication -------------------------------------------------------------------------
def claim_event(
    session: Session,
    *,
    key: str,
    kind: str,
    event_id: str | None,
    handled_by: str,
    now: datetime,
) -> bool:
    """Record a delivery as handled; False when another delivery (a retry, a replica) has it."""
    values = {
        "key": key,
        "kind": kind,
        "event_id": event_id,
        "handled_by": handled_by,
        "received_at": now,
    }
    return _insert_ignoring_duplicates(session, SlackEvent.__table__, values)


def prune_events(session: Session, *, before: datetime) -> int:
    """Forget claims older than `before` (Slack stops retrying after minutes)."""
    result = session.execute(delete(SlackEvent).where(SlackEvent.received_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


# --- conversations ----------------------------------------------------------------------------
def find_conversation(
    session: Session, *, team_id: str, channel_id: str, thread_ts: str
) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(
            Conversation.team_id == team_id,
            Conversation.channel_id == channel_id,
            Conversation.thread_ts == thread_ts,
        )
    )


def open_conversation(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str | None,
    kind: str,
    started_by: str,
    now: datetime,
    title: str = "",
) -> Conversation:
    """The conversation of a thread, created on its first question (a private slash-command
    answer, thread_ts None, always gets a conversation of its own)."""
    if thread_ts is None:
        conversation = Conversation(
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=None,
            kind=kind,
            started_by=started_by,
            title=title,
            created_at=now,
            updated_at=now,
        )
        session.add(conversation)
        session.flush()
        return conversation
    _insert_ignoring_duplicates(
        session,
        Conversation.__table__,
        {
            "team_id": team_id,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "kind": kind,
            "started_by": started_by,
            "title": title,
            "created_at": now,
            "updated_at": now,
        },
    )
    found = find_conversation(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    assert found is not None  # inserted above or by a concurrent writer
    return found


def set_title(session: Session, conversation_id: int, title: str) -> None:
    conversation = session.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.title = title[:200]


def thread_history(
    session: Session, conversation_id: int, *, before_id: int, limit: int
) -> list[tuple[str, str]]:
    """(question, answer) of the thread's earlier answered exchanges, oldest first."""
    rows = session.execute(
        select(Exchange.question, Exchange.answer)
        .where(
            Exchange.conversation_id == conversation_id,
            Exchange.id < before_id,
            Exchange.status.in_(("answered", "abstained")),
        )
        .order_by(Exchange.id.desc())
        .limit(limit)
    ).all()
    return [(question, answer) for question, answer in reversed(rows)]


# --- exchanges --------------------------------------------------------------------------------
def questions_since(session: Session, asker_id: str, since: datetime) -> int:
    """How many questions a person asked since `since` (for the per-person rate limit)."""
    return int(
        session.scalar(
            select(func.count(Exchange.id)).where(
                Exchange.asker_id == asker_id,
                Exchange.created_at >= since,
                Exchange.status.in_(COUNTED_STATUSES),
            )
        )
        or 0
    )


def add_exchange(
    session: Session,
    *,
    conversation_id: int,
    reference: str,
    source: str,
    asker_id: str,
    question: str,
    question_ts: str | None,
    visibility: str,
    now: datetime,
    status: str = "pending",
    audiences: Sequence[str] = (),
) -> Exchange:
    exchange = Exchange(
        conversation_id=conversation_id,
        reference=reference,
        source=source,
        asker_id=asker_id,
        audiences=list(audiences),
        question=question,
        question_ts=question_ts,
        visibility=visibility,
        status=status,
        created_at=now,
        standalone_question="",
        answer="",
        citations=[],
        passages=[],
        timings={},
        abstained=False,
        grounding_failed=False,
        model_version="",
    )
    session.add(exchange)
    session.flush()
    return exchange


def exchange_by_reference(session: Session, reference: str) -> Exchange | None:
    return session.scalar(select(Exchange).where(Exchange.reference == reference))


def exchange_by_message(session: Session, *, channel_id: str, ts: str) -> Exchange | None:
    """The exchange whose answer is the bot message (channel, ts), if any."""
    return session.scalar(
        select(Exchange)
        .join(Conversation, Exchange.conversation_id == Conversation.id)
        .where(Exchange.answer_ts == ts, Conversation.channel_id == channel_id)
    )


def set_answer_message(
    session: Session, exchange_id: int, ts: str, *, visibility: str | None = None
) -> None:
    exchange = session.get(Exchange, exchange_id)
    if exchange is not None:
        exchange.answer_ts = ts
        if visibility is not None:
            exchange.visibility = visibility


def record_answer(
    session: Session,
    exchange_id: int,
    *,
    status: str,
    audiences: Sequence[str],
    answer: str,
    standalone_question: str,
    citations: list[dict[str, Any]],
    passages: list[dict[str, Any]],
    confidence: float,
    abstained: bool,
    grounding_failed: bool,
    note: str | None,
    model_version: str,
    timings: dict[str, float],
    now: datetime,
) -> None:
    exchange = session.get(Exchange, exchange_id)
    if exchange is None:
        return
    exchange.status = status
    exchange.audiences = list(audiences)
    exchange.answer = answer
    exchange.standalone_question = standalone_question
    exchange.citations = citations
    exchange.passages = passages
    exchange.confidence = confidence
    exchange.abstained = abstained
    exchange.grounding_failed = grounding_failed
    exchange.note = note
    exchange.model_version = model_version
    exchange.timings = timings
    exchange.error = None
    exchange.answered_at = now


def record_failure(
    session: Session, exchange_id: int, *, error: str, timings: dict[str, float], now: datetime
) -> None:
    exchange = session.get(Exchange, exchange_id)
    if exchange is not None:
        exchange.status = "failed"
        exchange.error = error[:2000]
        exchange.timings = timings
        exchange.answered_at = now


def note_error(session: Session, exchange_id: int, error: str) -> None:
    """Attach an error to an exchange that is still being answered (e.g. a timeout notice)."""
    exchange = session.get(Exchange, exchange_id)
    if exchange is not None:
        exchange.error = error[:2000]


# --- votes ------------------------------------------------------------------------------------
def get_vote(session: Session, exchange_id: int, user_id: str) -> Vote | None:
    return session.scalar(
        select(Vote).where(Vote.exchange_id == exchange_id, Vote.user_id == user_id)
    )


def save_vote(
    session: Session,
    *,
    exchange_id: int,
    user_id: str,
    value: int,
    source: str,
    reactions: Sequence[str],
    correction: str | None,
    now: datetime,
) -> Vote:
    """Create or replace a person's vote on an answer (one vote per person per answer)."""
    vote = get_vote(session, exchange_id, user_id)
    if vote is None:
        vote = Vote(exchange_id=exchange_id, user_id=user_id, created_at=now)
        session.add(vote)
    vote.value = value
    vote.source = source
    vote.reactions = list(reactions)
    vote.correction = correction
    vote.updated_at = now
    session.flush()
    return vote


def delete_vote(session: Session, exchange_id: int, user_id: str) -> bool:
    result = session.execute(
        delete(Vote).where(Vote.exchange_id == exchange_id, Vote.user_id == user_id)
    )
    return bool(getattr(result, "rowcount", 0))


def votes_of(session: Session, exchange_id: int) -> list[Vote]:
    return list(session.scalars(select(Vote).where(Vote.exchange_id == exchange_id)))


# --- retention ----------------------------------------------------------------------------------
def purge_before(session: Session, before: datetime) -> dict[str, int]:
    """Delete Slack data older than `before`: exchanges (with their votes, and the curation
    items made from them), conversations left without exchanges, and event claims. Returns
    the counts deleted per table."""
    old = select(Exchange.id).where(Exchange.created_at < before)
    votes = session.execute(delete(Vote).where(Vote.exchange_id.in_(old)))
    exchanges = session.execute(delete(Exchange).where(Exchange.created_at < before))
    remaining = select(Exchange.conversation_id).distinct()
    conversations = session.execute(
        delete(Conversation).where(
            Conversation.updated_at < before, Conversation.id.not_in(remaining)
        )
    )
    events = session.execute(delete(SlackEvent).where(SlackEvent.received_at < before))
    return {
        "exchanges": int(getattr(exchanges, "rowcount", 0) or 0),
        "votes": int(getattr(votes, "rowcount", 0) or 0),
        "conversations": int(getattr(conversations, "rowcount", 0) or 0),
        "event_claims": int(getattr(events, "rowcount", 0) or 0),
    }


def count_before(session: Session, before: datetime) -> int:
    """How many exchanges `purge_before` would delete."""
    return int(
        session.scalar(select(func.count(Exchange.id)).where(Exchange.created_at < before)) or 0
    )
