"""Confirming a review: a new future date, the stale mark cleared at once, owners nudged anew."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from knowledge.answering import Asker, build_answer_service
from knowledge.db import document_models
from knowledge.db import documents as registry
from knowledge.db import outbox as db_outbox
from knowledge.db.document_models import AuditEvent
from knowledge.db.scheduler_models import Notification
from knowledge.services import Services
from pipelines.reindex import reindex
from pipelines.review import review_check
from tests.pipelines.policies import OWNER, watch
from tests.pipelines.test_review import QUESTION, TODAY, corpus, statuses

NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)  # TODAY, after the 07:00 check
NEW_DATE = TODAY + timedelta(days=90)


@pytest.fixture
def indexed(services: Services, tmp_path: Path) -> Services:
    """The review corpus indexed and checked on TODAY: parking is stale, its owner told."""
    corpus(tmp_path / "policies")
    watch(services, tmp_path / "policies")
    reindex(services)
    review_check(services.db, today=TODAY, nudge_days=14)
    return services


def review(services: Services, doc_id: str, until: date) -> registry.ReviewChange:
    with services.db.session() as session:
        document = registry.get(session, doc_id)
        assert document is not None
        return registry.record_review(
            session, document, until=until, by="jane@northwind.example", now=NOW
        )


def outbox(services: Services) -> list[tuple[str, str | None, str, str]]:
    with services.db.session() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id))
        return [(n.kind, n.document_id, n.dedupe_key, n.status) for n in rows]


def test_a_review_sets_the_date_clears_the_stale_mark_and_records_who(indexed: Services) -> None:
    change = review(indexed, "parking", NEW_DATE)

    assert change == registry.ReviewChange(
        "parking", TODAY - timedelta(days=1), NEW_DATE, was_stale=True, nudges_withdrawn=1
    )
    with indexed.db.session() as session:
        parking = registry.get(session, "parking")
        assert parking is not None
        assert (parking.status, parking.review_by, parking.live_version) == ("active", NEW_DATE, 1)
        assert parking.reviewed_by == "jane@northwind.example"
        assert document_models.as_utc(parking.reviewed_at) == NOW  # type: ignore[arg-type]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "document.reviewed"))
        assert event is not None and (event.actor, event.target) == (
            "jane@northwind.example",
            "parking",
        )
        assert event.detail["review_by"] == NEW_DATE.isoformat()
    # The undelivered "overdue" message would now call the new date passed: withdrawn.
    expired = f"review_expired:parking:{TODAY - timedelta(days=1)}"
    assert ("review_expired", "parking", expired, "withdrawn") in outbox(indexed)


@pytest.mark.parametrize("until", [TODAY, TODAY - timedelta(days=3)])
def test_the_new_date_must_be_in_the_future(indexed: Services, until: date) -> None:
    with pytest.raises(registry.ReviewError, match="must be in the future"):
        review(indexed, "parking", until)
    assert statuses(indexed)["parking"] == "stale"


def test_a_deleted_document_cannot_be_reviewed(indexed: Services) -> None:
    indexed.ingestor().delete("bicycle")
    with pytest.raises(registry.ReviewError, match="bicycle is deleted"):
        review(indexed, "bicycle", NEW_DATE)


def test_an_active_document_keeps_its_reminder_when_the_date_is_the_same(
    indexed: Services,
) -> None:
    due = TODAY + timedelta(days=10)
    change = review(indexed, "coworking", due)  # "still due then": nothing to withdraw
    assert (change.was_stale, change.nudges_withdrawn) == (False, 0)
    assert ("review_due", "coworking", f"review_due:coworking:{due}", "pending") in outbox(indexed)


def test_after_a_review_the_daily_check_leaves_it_fresh_and_nudges_before_the_new_date(
    indexed: Services,
) -> None:
    answer = build_answer_service(indexed, backend="extractive")
    assert "overdue for review" in answer.answer(QUESTION, Asker("u1")).text

    review(indexed, "parking", NEW_DATE)

    # Answers read the stale mark from the registry: the note is gone with the next question.
    (passage,) = indexed.retriever.retrieve(QUESTION, k=1)
    assert passage.source_name == "parking.md" and not passage.stale
    assert "overdue for review" not in answer.answer(QUESTION, Asker("u1")).text
    tomorrow = review_check(indexed.db, today=TODAY + timedelta(days=1), nudge_days=14)
    assert (tomorrow.marked_stale, tomorrow.expiry_notices_queued, tomorrow.reactivated) == (
        0,
        0,
        0,
    )
    assert statuses(indexed)["parking"] == "active"

    # Two weeks before the new date its owner is reminded again, under a key of its own...
    reminder = review_check(indexed.db, today=NEW_DATE - timedelta(days=14), nudge_days=14)
    assert reminder.nudges_queued >= 1
    keys = [key for kind, doc, key, _ in outbox(indexed) if doc == "parking"]
    assert f"review_due:parking:{NEW_DATE}" in keys
    # ...and once the new date passes it turns stale again, with a new notice.
    after = review_check(indexed.db, today=NEW_DATE + timedelta(days=1), nudge_days=14)
    assert after.marked_stale >= 1 and statuses(indexed)["parking"] == "stale"
    assert f"review_expired:parking:{NEW_DATE}" in [key for _, _, key, _ in outbox(indexed)]
    with indexed.db.session() as session:
        recipients = {
            n.recipient
            for n in db_outbox.pending_notifications(session)
            if n.document_id == "parking"
        }
    assert recipients == {OWNER}


def test_served_reviews_gate_on_the_live_version_and_read_the_registry(
    indexed: Services,
) -> None:
    review(indexed, "parking", NEW_DATE)
    indexed.ingestor().delete("bicycle")
    with indexed.db.session() as session:
        served = registry.served_reviews(session, ["parking", "lockers", "bicycle", "nope"])
    assert served == {
        "parking": registry.ServedReview(1, NEW_DATE, stale=False),
        "lockers": registry.ServedReview(1, TODAY - timedelta(days=30), stale=True),
    }


def test_citations_show_the_confirmed_date_not_the_stored_chunks(indexed: Services) -> None:
    (before,) = indexed.retriever.retrieve(QUESTION, k=1)
    assert before.document_id == "parking" and before.review_by != NEW_DATE

    review(indexed, "parking", NEW_DATE)

    (after,) = indexed.retriever.retrieve(QUESTION, k=1)
    assert after.review_by == NEW_DATE and not after.stale
