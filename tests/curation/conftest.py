"""Fixtures for curation tests: a migrated database and exchanges as the Slack bot stores them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from knowledge.db import conversations as store
from knowledge.db.connection import Database
from knowledge.db.document_models import Document
from knowledge.retrieval import Passage
from knowledge.settings import Settings
from tests.answering.passages import passage

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

LEAVE = passage(
    "Every employee receives 25 working days of paid annual leave per holiday year.",
    title="Annual Leave",
    section="Annual Leave > Your allowance",
    source="annual-leave.md",
)
CARRY = passage(
    "You can carry over up to 5 days into the next holiday year; they must be used by 31 March.",
    title="Annual Leave",
    section="Annual Leave > Carry-over",
    source="annual-leave.md",
    chunk_index=1,
)
SICK = passage(
    "Self-certify sick days 1 to 7 in Peoplehub; from day 8 a doctor's note is needed.",
    title="Sick Leave",
    section="Sick Leave > Reporting",
    source="sick-leave.md",
)
BANDS = passage(
    "Every band spans 40% from minimum to maximum; the midpoint is the market rate.",
    title="Compensation for Managers",
    section="Pay bands",
    source="manager-guide-compensation.md",
)


def snapshot(passages: Sequence[Passage]) -> list[dict[str, Any]]:
    """Passages as the bot stores them on an exchange (dataclass fields, dates as text)."""
    rows = []
    for p in passages:
        row = dataclasses.asdict(p)
        row["review_by"] = p.review_by.isoformat() if isinstance(p.review_by, date) else None
        rows.append(row)
    return rows


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A migrated database on the tier's backend (SQLite, or PostgreSQL in the database tier)."""
    database = Database(settings.sql_url)
    database.upgrade()
    with database.session() as session:
        add_documents(session)
    yield database
    database.dispose()


def add_documents(session: Session) -> None:
    """The documents the sample passages come from, live at version 1; the managers' guide is
    for managers only."""
    for doc_id, audiences in (
        ("annual-leave", ["everyone"]),
        ("sick-leave", ["everyone"]),
        ("manager-guide-compensation", ["managers"]),
    ):
        session.add(
            Document(
                id=doc_id,
                source_uri=f"file:///handbook/{doc_id}.md",
                title=doc_id,
                audiences=audiences,
                status="active",
                live_version=1,
            )
        )


_counter = iter(range(1, 10_000))


def add_exchange(
    session: Session,
    question: str,
    answer: str,
    passages: Sequence[Passage] = (LEAVE, CARRY, SICK),
    *,
    asker: str = "U0ASKER01",
    status: str = "answered",
    votes: Sequence[tuple[str, int, str | None]] = (),
    cited: Sequence[int] = (1,),
) -> int:
    """An exchange as the bot records it, with votes (user, value, correction)."""
    n = next(_counter)
    conversation = store.open_conversation(
        session,
        team_id="T1",
        channel_id="C0GENERAL",
        thread_ts=f"1700000000.{n:06d}",
        kind="channel",
        started_by=asker,
        now=T0,
    )
    exchange = store.add_exchange(
        session,
        conversation_id=conversation.id,
        reference=f"ref{n:05d}",
        source="mention",
        asker_id=asker,
        question=question,
        question_ts=f"1700000000.{n:06d}",
        visibility="thread",
        now=T0,
    )
    shown = list(passages)
    store.record_answer(
        session,
        exchange.id,
        status=status,
        audiences=["everyone"],
        answer=answer,
        standalone_question=question,
        citations=[
            {"number": c, "document_id": shown[c - 1].document_id, "version": 1} for c in cited
        ],
        passages=snapshot(shown),
        confidence=0.7,
        abstained=status == "abstained",
        grounding_failed=False,
        note=None,
        model_version="extractive",
        timings={},
        now=T0,
    )
    for i, (user, value, correction) in enumerate(votes):
        store.save_vote(
            session,
            exchange_id=exchange.id,
            user_id=user,
            value=value,
            source="correction" if correction else "reaction",
            reactions=[],
            correction=correction,
            now=T0 + timedelta(minutes=i),
        )
    return exchange.id
