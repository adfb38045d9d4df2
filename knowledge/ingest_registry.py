"""The registry side of ingesting a file: skip what is known, register, go live, record failure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from knowledge.db import documents as registry
from knowledge.db.connection import Database
from knowledge.db.document_models import Document, DocumentVersion, utcnow
from knowledge.documents.parsed import ParsedDocument
from knowledge.ingest_sources import SourceFile
from knowledge.ingest_types import FileResult, IngestOptions, PreparedFile


def known_content(
    session: Session,
    source: SourceFile,
    content_hash: str,
    embedding_model: str,
    options: IngestOptions,
) -> FileResult | None:
    """'unchanged' when the live version has this content and embedding model, 'duplicate'
    when another live document has this content; None when the file must be indexed."""
    document = registry.by_source(session, source.uri)
    live = registry.live_version_row(session, document) if document else None
    if (
        document is not None
        and live is not None
        and document.status != "deleted"
        and live.content_hash == content_hash
        and live.embedding_model == embedding_model
    ):
        document.checked_at = utcnow()
        unchanged = FileResult(
            source.uri, source.name, "unchanged", document.id, live.version, live.chunk_count
        )
        return confirm_review(session, document, unchanged, options)
    twin = registry.live_twin(session, content_hash, exclude_uri=source.uri)
    if twin is not None:
        message = (
            f"{source.name} has the same content as {twin.id} ({twin.source_uri}); "
            "not indexed twice"
        )
        return FileResult(source.uri, source.name, "duplicate", twin.id, error=message)
    return None


def confirm_review(
    session: Session, document: Document, unchanged: FileResult, options: IngestOptions
) -> FileResult:
    """An explicit review-by date for an unchanged file confirms a review of the live
    version; a date that is not in the future is refused, with the reason."""
    until = options.review_by
    if until is None or until == document.review_by:
        return unchanged
    try:
        registry.record_review(session, document, until=until, by=options.actor, now=utcnow())
    except registry.ReviewError as exc:
        return replace(unchanged, error=f"review date not updated: {exc}")
    return replace(unchanged, review_updated=until)


def register_version(
    session: Session,
    source: SourceFile,
    parsed: ParsedDocument,
    *,
    chunk_count: int,
    content_hash: str,
    embedding_model: str,
    options: IngestOptions,
) -> tuple[Document, int]:
    """The document's registry row (created or relabelled) and its new 'indexing' version."""
    document = _register(session, source, parsed, options)
    version = registry.next_version(session, document.id)
    session.add(
        DocumentVersion(
            document_id=document.id,
            version=version,
            content_hash=content_hash,
            file_name=source.name,
            doc_type=parsed.doc_type.value,
            size_bytes=source.size,
            title=parsed.title,
            chunk_count=chunk_count,
            embedding_model=embedding_model,
            status="indexing",
        )
    )
    return document, version


def _document_of(session: Session, source: SourceFile, options: IngestOptions) -> Document:
    """The file's registry row, created (unlabelled, default audiences) when it is new."""
    document = registry.by_source(session, source.uri)
    if document is None:
        document = registry.create(
            session,
            source_uri=source.uri,
            stem=Path(source.name).stem,
            audiences=options.default_audiences,
            owner=None,
            review_by=None,
        )
    return document


def _register(
    session: Session, source: SourceFile, parsed: ParsedDocument, options: IngestOptions
) -> Document:
    """Find or create the registry row; labels: explicit > file > existing > default."""
    meta = parsed.meta
    document = _document_of(session, source, options)
    document.audiences = list(
        options.audiences or meta.audiences or document.audiences or options.default_audiences
    )
    document.owner = options.owner or meta.owner or document.owner
    document.review_by = (
        options.review_by
        or meta.review_by
        or datetime.now(UTC).date() + timedelta(days=options.review_period_days)
    )
    if document.status == "deleted":
        document.status = "pending"
    return document


def switch_live(db: Database, prepared: PreparedFile, actor: str) -> list[int]:
    """Make the prepared version the live one; return the versions it superseded."""
    with db.session() as session:
        document = registry.get(session, prepared.document_id)
        assert document is not None
        version = next(v for v in document.versions if v.version == prepared.version)
        superseded = registry.switch_live(session, document, version)
        registry.audit(
            session,
            actor,
            "document.indexed",
            document.id,
            version=prepared.version,
            chunks=len(prepared.records),
        )
    return superseded


def record_failure(
    db: Database,
    source: SourceFile,
    error: str,
    options: IngestOptions,
    prepared: PreparedFile | None = None,
) -> FileResult:
    """Record a file's failure on its document (created if new) and on its failed version."""
    with db.session() as session:
        document = _document_of(session, source, options)
        registry.record_failure(session, document, error)
        if prepared is not None:
            for version in document.versions:
                if version.version == prepared.version:
                    version.status, version.error = "failed", error
        return FileResult(source.uri, source.name, "failed", document.id, error=error)


def mark_deleted(db: Database, document_id: str, actor: str) -> None:
    """Stop serving a document at once (the registry gate); KeyError if it is unknown."""
    with db.session() as session:
        document = registry.get(session, document_id)
        if document is None:
            raise KeyError(document_id)
        registry.mark_deleted(session, document)
        registry.audit(session, actor, "document.deleted", document_id)
