"""Deleting a document that a watched source still holds: the admin chooses to remove the file at
the source or to exclude it from the source, or the next re-index would bring it back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from knowledge.db import documents as registry
from knowledge.db import exclusions
from knowledge.ingest import Ingestor

log = logging.getLogger(__name__)

AtSource = Literal["remove", "exclude"]


class NeedsChoiceError(ValueError):
    """The document's file is in a watched source: say what to do with it there."""


@dataclass(frozen=True)
class Deleted:
    """What a deletion did."""

    document_id: str
    chunks: int
    source: str | None = None
    """The watched source that held the file, if any."""
    at_source: AtSource | None = None


def delete_document(
    ingestor: Ingestor, document_id: str, *, at_source: AtSource | None, actor: str
) -> Deleted:
    """Stop serving a document. When a watched source still holds its file, `at_source` must
    say whether to delete that file ("remove") or to skip it from now on ("exclude");
    NeedsChoiceError otherwise, and nothing is changed."""
    db = ingestor.db
    with db.session() as session:
        document = registry.get(session, document_id)
        if document is None or document.status == "deleted":
            raise KeyError(document_id)
        uri = document.source_uri
        source = exclusions.source_holding(session, uri)
        location, kind = (source.location, source.kind) if source else (None, None)
    if source is None:
        return Deleted(document_id, ingestor.delete(document_id, actor=actor))
    if at_source is None:
        raise NeedsChoiceError(
            f"{document_id} comes from the watched source {location}, which would bring it back "
            "at the next re-index: remove the file at the source (--remove-at-source) or "
            "exclude it from the source (--exclude)"
        )
    if at_source == "remove":
        if kind != "folder":
            raise NeedsChoiceError(
                f"{document_id} is the URL {uri}; helpbot cannot delete it there: use --exclude"
            )
        Path(unquote(urlparse(uri).path)).unlink(missing_ok=True)  # an error stops it all here
        log.info("removed the file of %s from its watched folder", document_id)
    else:
        with db.session() as session:
            exclusions.exclude(session, source.id, uri, by=actor)
    return Deleted(document_id, ingestor.delete(document_id, actor=actor), location, at_source)


def exclude_path(ingestor: Ingestor, path_or_url: str, *, actor: str) -> Deleted | str:
    """`helpbot sources exclude`: never index this file of a watched source again, and stop
    serving its document. Returns what was deleted, or the source location when there was
    no document to delete. ValueError when no watched source holds it."""
    if path_or_url.startswith(("http://", "https://")):
        uri = path_or_url
    else:
        uri = Path(path_or_url).expanduser().resolve().as_uri()
    db = ingestor.db
    with db.session() as session:
        source = exclusions.source_holding(session, uri)
        if source is None:
            raise ValueError(f"{path_or_url} is not in any watched source")
        exclusions.exclude(session, source.id, uri, by=actor)
        document = registry.by_source(session, uri)
        document_id = document.id if document and document.status != "deleted" else None
        location = source.location
    if document_id is None:
        return location
    return Deleted(document_id, ingestor.delete(document_id, actor=actor), location, "exclude")
