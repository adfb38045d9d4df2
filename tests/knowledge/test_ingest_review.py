"""An explicit review-by date for an unchanged file is recorded, not silently dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from knowledge.db import documents as registry
from knowledge.ingest import FileResult, SourceFile
from knowledge.services import Services

TODAY = datetime.now(UTC).date()
LATER = TODAY + timedelta(days=400)
POLICY = """---
title: Coworking policy
owner: people@northwind.example
review_by: 2027-01-31
---
# Coworking policy

## Allowance
Employees may expense a coworking desk up to EUR 150 per month with a receipt.
"""


def ingest(svc: Services, *sources: SourceFile, **options: object) -> list[FileResult]:
    return list(svc.ingestor(**options).ingest(sources))


def coworking() -> SourceFile:
    return SourceFile.from_bytes("coworking.md", POLICY.encode(), uri="file:///p/coworking.md")


def review_state(svc: Services, doc_id: str) -> tuple[str, date | None, str | None, int | None]:
    with svc.db.session() as session:
        doc = registry.get(session, doc_id)
        assert doc is not None
        return doc.status, doc.review_by, doc.reviewed_by, doc.live_version


def test_review_by_on_an_unchanged_file_records_the_new_date(services: Services) -> None:
    policy = coworking()
    (first,) = ingest(services, policy)
    with services.db.session() as session:
        doc = registry.get(session, "coworking")
        assert doc is not None
        doc.status = "stale"  # as the daily check leaves a document past its date

    (again,) = ingest(services, policy, review_by=LATER, actor="cli")

    assert (again.outcome, again.version, again.review_updated, again.error) == (
        "unchanged",
        first.version,
        LATER,
        None,
    )
    assert review_state(services, "coworking") == ("active", LATER, "cli", first.version)
    # Nothing was re-read or re-written: the same chunks are served.
    assert services.store.count() == first.chunks


def test_the_same_date_again_is_just_unchanged(services: Services) -> None:
    policy = coworking()
    ingest(services, policy, review_by=LATER)
    (again,) = ingest(services, policy, review_by=LATER)
    assert (again.outcome, again.review_updated, again.error) == ("unchanged", None, None)
    assert review_state(services, "coworking")[2] is None  # no review was recorded


def test_a_past_review_date_for_an_unchanged_file_is_refused_with_the_reason(
    services: Services,
) -> None:
    policy = coworking()
    ingest(services, policy)
    (again,) = ingest(services, policy, review_by=TODAY - timedelta(days=1))
    assert again.outcome == "unchanged" and again.review_updated is None
    assert again.error and "must be in the future" in again.error
    assert review_state(services, "coworking")[1] == date(2027, 1, 31)  # from front matter
