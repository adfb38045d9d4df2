"""Queries of review-by dates: documents past their date, due soon, or reviewed again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from knowledge.db.document_models import Document
from knowledge.db.documents import SERVED_STATUSES


def documents_past_review(session: Session, *, today: date) -> list[Document]:
    """Served documents whose review-by date is before today."""
    return list(
        session.scalars(
            select(Document).where(
                Document.status.in_(SERVED_STATUSES),
                Document.review_by.is_not(None),
                Document.review_by < today,
            )
        )
    )


def documents_review_due(session: Session, *, today: date, until: date) -> list[Document]:
    """Active documents whose review-by date falls between today and `until` (inclusive)."""
    return list(
        session.scalars(
            select(Document).where(
                Document.status == "active",
                Document.review_by.is_not(None),
                Document.review_by >= today,
                Document.review_by <= until,
            )
        )
    )


def reactivate_reviewed(session: Session, *, today: date) -> list[str]:
    """Stale documents whose review-by date was moved to today or later become active again."""
    rows = list(
        session.scalars(
            select(Document).where(
                Document.status == "stale",
                or_(Document.review_by.is_(None), Document.review_by >= today),
            )
        )
    )
    for document in rows:
        document.status = "active"
    return [d.id for d in rows]
