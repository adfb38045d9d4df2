"""Console fixtures: a context over a throw-away knowledge base, admins of every role, exchanges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from admin.__main__ import build_context
from admin.context import ConsoleContext
from knowledge.db import admins, conversations
from knowledge.ingest import SourceFile
from knowledge.services import Services

PASSWORD = "correct horse battery"
ROLES = {"vic": "viewer", "eddie": "editor", "tina": "trainer", "olivia": "owner"}
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LEAVE = """---
title: Parental leave
owner: people@example.com
audiences: [everyone]
review_by: 2027-06-30
---
# Parental leave

## Entitlement
Every employee gets 16 weeks of paid parental leave after six months of service.

## How to apply
Tell your manager and the People team at least 8 weeks before the leave starts.
"""
EXPENSES = """---
title: Expenses
review_by: 2026-01-31
---
# Expenses

## Meals
Meals while travelling are reimbursed up to 45 EUR per day with receipts.
"""


def request_as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


@pytest.fixture
def console(services: Services) -> Iterator[ConsoleContext]:
    """A console context (extractive answers) with one admin per role and two documents."""
    services.settings.generator = "extractive"
    ctx = build_context(services)
    ctx.clock = lambda: NOW
    with services.db.session() as session:
        for name, role in ROLES.items():
            admins.add_user(session, name, PASSWORD, role, by="test")
    files = [
        SourceFile.from_bytes("parental-leave.md", LEAVE.encode()),
        SourceFile.from_bytes("expenses.md", EXPENSES.encode()),
    ]
    results = list(services.ingestor(actor="test").ingest(files))
    assert [r.outcome for r in results] == ["indexed", "indexed"]
    yield ctx


def add_exchange(
    ctx: ConsoleContext,
    question: str,
    *,
    answer: str = "You get 16 weeks.",
    abstained: bool = False,
    vote: int | None = None,
    correction: str | None = None,
    kind: str = "channel",
    at: datetime = NOW - timedelta(days=1),
    total_s: float = 1.5,
) -> int:
    """One answered Slack exchange (and optionally a vote), as the bot records it."""
    with ctx.services.db.session() as session:
        conversation = conversations.open_conversation(
            session,
            team_id="T1",
            channel_id="C1",
            thread_ts=f"{at.timestamp():.6f}{question[:3]}",
            kind=kind,
            started_by="U1",
            now=at,
        )
        exchange = conversations.add_exchange(
            session,
            conversation_id=conversation.id,
            reference=f"r{abs(hash((question, at))) % 10**8}",
            source="mention",
            asker_id="U1",
            question=question,
            question_ts=None,
            visibility="thread",
            now=at,
        )
        conversations.record_answer(
            session,
            exchange.id,
            status="abstained" if abstained else "answered",
            audiences=["everyone"],
            answer=answer,
            standalone_question=question,
            citations=[],
            passages=[_passage()],
            confidence=0.8,
            abstained=abstained,
            grounding_failed=False,
            note=None,
            model_version="extractive",
            timings={"total": total_s},
            now=at,
        )
        if vote is not None:
            conversations.save_vote(
                session,
                exchange_id=exchange.id,
                user_id="U2",
                value=vote,
                source="button",
                reactions=[],
                correction=correction,
                now=at,
            )
        return exchange.id


def _passage() -> dict[str, Any]:
    return {
        "text": "Every employee gets 16 weeks of paid parental leave.",
        "title": "Parental leave",
        "section": "Parental leave > Entitlement",
        "source_uri": "upload://parental-leave.md",
        "document_id": "parental-leave",
        "version": 1,
        "chunk_index": 0,
        "score": 0.9,
    }


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder
