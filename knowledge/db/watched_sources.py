"""Queries of watched sources: the sources kept indexed, what the last check saw of each file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from knowledge.db.document_models import Document
from knowledge.db.scheduler_models import WatchedFile, WatchedSource

# Ids per IN (...) list: far below every backend's bound-parameter limit.
IN_BATCH = 500


# --- watched sources ---------------------------------------------------------------------
def add_source(session: Session, *, location: str, kind: str, added_by: str) -> WatchedSource:
    source = WatchedSource(location=location, kind=kind, added_by=added_by, enabled=True)
    session.add(source)
    session.flush()
    return source


def source_at(session: Session, location: str) -> WatchedSource | None:
    return session.scalar(select(WatchedSource).where(WatchedSource.location == location))


def list_sources(session: Session, *, enabled_only: bool = False) -> list[WatchedSource]:
    query = select(WatchedSource).order_by(WatchedSource.id)
    if enabled_only:
        query = query.where(WatchedSource.enabled.is_(True))
    return list(session.scalars(query))


def source_file_counts(session: Session) -> dict[int, int]:
    """source id -> how many of its files the last checks recorded."""
    rows = session.execute(
        select(WatchedFile.source_id, func.count()).group_by(WatchedFile.source_id)
    )
    return {int(source_id): int(count) for source_id, count in rows}


def remove_source(session: Session, source: WatchedSource) -> list[str]:
    """Stop watching a source; return the ids of the documents it had brought in."""
    document_ids = [
        doc_id
        for doc_id in session.scalars(
            select(WatchedFile.document_id).where(WatchedFile.source_id == source.id)
        )
        if doc_id
    ]
    session.execute(delete(WatchedFile).where(WatchedFile.source_id == source.id))
    session.delete(source)
    return document_ids


def record_source_check(
    session: Session, source_id: int, *, at: datetime, status: str, error: str | None
) -> None:
    session.execute(
        update(WatchedSource)
        .where(WatchedSource.id == source_id)
        .values(checked_at=at, status=status, last_error=error)
    )


# --- what the last check saw of each file -------------------------------------------------
@dataclass(frozen=True)
class FileState:
    """One item of a source as last indexed: how to tell it is untouched, and its document."""

    uri: str
    document_id: str | None = None
    content_hash: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    etag: str | None = None
    last_modified: str | None = None


def file_states(session: Session, source_id: int) -> dict[str, FileState]:
    rows = session.scalars(select(WatchedFile).where(WatchedFile.source_id == source_id))
    return {
        row.uri: FileState(
            uri=row.uri,
            document_id=row.document_id,
            content_hash=row.content_hash,
            size=row.size,
            mtime_ns=row.mtime_ns,
            etag=row.etag,
            last_modified=row.last_modified,
        )
        for row in rows
    }


def save_file_states(
    session: Session, source_id: int, states: Iterable[FileState], *, at: datetime
) -> None:
    """Insert or replace the recorded state of these items."""
    by_uri = {state.uri: state for state in states}
    if not by_uri:
        return
    existing = {
        row.uri: row
        for row in session.scalars(
            select(WatchedFile).where(
                WatchedFile.source_id == source_id, WatchedFile.uri.in_(list(by_uri))
            )
        )
    }
    for uri, state in by_uri.items():
        row = existing.get(uri) or WatchedFile(source_id=source_id, uri=uri)
        row.document_id = state.document_id
        row.content_hash = state.content_hash
        row.size, row.mtime_ns = state.size, state.mtime_ns
        row.etag, row.last_modified = state.etag, state.last_modified
        row.checked_at = at
        session.add(row)


def forget_files(session: Session, source_id: int, uris: Iterable[str]) -> None:
    uris = list(uris)
    if uris:
        session.execute(
            delete(WatchedFile).where(WatchedFile.source_id == source_id, WatchedFile.uri.in_(uris))
        )


def touch_documents(session: Session, document_ids: Iterable[str], *, at: datetime) -> int:
    """Record that unchanged documents were checked: one statement per 500, whatever the count."""
    ids = sorted(set(document_ids))
    touched = 0
    for start in range(0, len(ids), IN_BATCH):
        result = session.execute(
            update(Document)
            .where(Document.id.in_(ids[start : start + IN_BATCH]))
            .values(checked_at=at)
            .execution_options(synchronize_session=False)
        )
        touched += int(getattr(result, "rowcount", 0) or 0)
    return touched
