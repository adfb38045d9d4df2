"""Queries of files excluded from watched sources, and which source holds a file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.db.production_models import SourceExclusion
from knowledge.db.scheduler_models import WatchedSource


def source_holding(session: Session, uri: str) -> WatchedSource | None:
    """The watched folder (or URL source) whose re-index would bring `uri` back, if any."""
    parsed = urlparse(uri)
    for source in session.scalars(select(WatchedSource).order_by(WatchedSource.id)):
        if source.kind == "folder" and parsed.scheme == "file":
            if Path(unquote(parsed.path)).is_relative_to(Path(source.location)):
                return source
        elif source.location == uri:
            return source
    return None


def exclude(session: Session, source_id: int, uri: str, *, by: str) -> bool:
    """Record that the source's `uri` is not to be indexed; False if it already was."""
    if uri in excluded_uris(session, source_id):
        return False
    session.add(SourceExclusion(source_id=source_id, uri=uri, excluded_by=by))
    return True


def excluded_uris(session: Session, source_id: int) -> set[str]:
    query = select(SourceExclusion.uri).where(SourceExclusion.source_id == source_id)
    return set(session.scalars(query))
