"""Review dates: mark expired documents stale and queue Slack DMs nudging their owners."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from knowledge.db import documents as registry
from knowledge.db import outbox, review_dates
from knowledge.db.connection import Database
from knowledge.db.document_models import Document
from knowledge.retrieval import source_name
from knowledge.review_messages import reminder_text

log = logging.getLogger(__name__)


@dataclass
class ReviewReport:
    """What one daily check did."""

    marked_stale: int = 0
    reactivated: int = 0
    nudges_queued: int = 0
    expiry_notices_queued: int = 0
    without_owner: int = 0


def review_check(db: Database, *, today: date, nudge_days: int) -> ReviewReport:
    """The daily check of review-by dates.

    Documents past their date become stale (still served, flagged in answers, optionally
    down-ranked) and their owners get one DM saying so; owners of documents due within
    `nudge_days` get one reminder before that. A document whose date was moved forward is
    active again (a review confirmed with `helpbot docs review` already made it so).
    Messages are keyed by document, kind and review-by date: running twice a day queues
    nothing twice, and a new date earns new ones.
    """
    report = ReviewReport()
    with db.session() as session:
        reactivated = review_dates.reactivate_reviewed(session, today=today)
        report.reactivated = len(reactivated)
        for document_id in reactivated:
            registry.audit(session, "scheduler", "document.reviewed", document_id)

        for document in review_dates.documents_past_review(session, today=today):
            if document.status == "active":
                document.status = "stale"
                report.marked_stale += 1
                registry.audit(
                    session,
                    "scheduler",
                    "document.stale",
                    document.id,
                    review_by=str(document.review_by),
                )
            if _notify(session, document, "review_expired", today):
                report.expiry_notices_queued += 1
            report.without_owner += document.owner is None

        until = today + timedelta(days=nudge_days)
        for document in review_dates.documents_review_due(session, today=today, until=until):
            if _notify(session, document, "review_due", today):
                report.nudges_queued += 1
            report.without_owner += document.owner is None
    log.info("review check: %s", report)
    return report


def _notify(session: Session, document: Document, kind: str, today: date) -> bool:
    if not document.owner or document.review_by is None:
        return False
    text = reminder_text(
        kind=kind,
        document_id=document.id,
        title=document.title,
        source=source_name(document.source_uri),
        review_by=document.review_by,
        today=today,
    )
    # One message per document, kind and review date: a new date earns a new reminder.
    return outbox.queue_notification(
        session,
        recipient=document.owner,
        text=text,
        kind=kind,
        document_id=document.id,
        dedupe_key=f"{kind}:{document.id}:{document.review_by}",
    )
