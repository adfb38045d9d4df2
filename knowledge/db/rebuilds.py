"""Queries of an index rebuild: the live versions to carry over, and what the rebuild did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.db.document_models import Document, DocumentVersion
from knowledge.db.documents import SERVED_STATUSES


@dataclass(frozen=True)
class LiveDocument:
    """What a rebuild needs of one served document's live version."""

    document_id: str
    version: int
    source_uri: str
    file_name: str
    content_hash: str
    title: str
    audiences: tuple[str, ...]
    review_by: date | None
    chunk_count: int


def live_documents(session: Session) -> list[LiveDocument]:
    rows = session.execute(
        select(Document, DocumentVersion)
        .join(
            DocumentVersion,
            (DocumentVersion.document_id == Document.id)
            & (DocumentVersion.version == Document.live_version),
        )
        .where(Document.live_version.is_not(None), Document.status.in_(SERVED_STATUSES))
        .order_by(Document.id)
    )
    return [
        LiveDocument(
            document_id=doc.id,
            version=ver.version,
            source_uri=doc.source_uri,
            file_name=ver.file_name,
            content_hash=ver.content_hash,
            title=ver.title or doc.title,
            audiences=tuple(doc.audiences),
            review_by=doc.review_by,
            chunk_count=ver.chunk_count,
        )
        for doc, ver in rows
    ]


def count_live_versions_not_embedded_with(session: Session, fingerprint: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Document)
            .join(
                DocumentVersion,
                (DocumentVersion.document_id == Document.id)
                & (DocumentVersion.version == Document.live_version),
            )
            .where(
                Document.status.in_(SERVED_STATUSES),
                DocumentVersion.embedding_model != fingerprint,
            )
        )
        or 0
    )


def record_rebuilt(
    session: Session, rebuilt: Mapping[tuple[str, int], int], *, fingerprint: str
) -> None:
    """Live versions now in the new collection: their embedding model and chunk counts."""
    for (document_id, version), chunks in rebuilt.items():
        row = session.scalar(
            select(DocumentVersion).where(
                DocumentVersion.document_id == document_id, DocumentVersion.version == version
            )
        )
        document = session.get(Document, document_id)
        if row is None or document is None:
            continue
        row.embedding_model, row.chunk_count = fingerprint, chunks
        if document.live_version == version:
            document.chunk_count = chunks


def record_not_rebuilt(session: Session, errors: Mapping[str, str]) -> None:
    """Documents a rebuild could not carry over are no longer served; say why."""
    for document_id, error in errors.items():
        document = session.get(Document, document_id)
        if document is not None:
            document.live_version = None
            document.status = "failed"
            document.chunk_count = 0
            document.last_error = error
