"""Full rebuild: re-embed every live document into a new collection beside the live one, then swap.

Used by `helpbot reindex --full` and when the embedding model changes. Answers keep coming
from the old collection until `activate()` points the alias at the new one in one step.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from knowledge.db import rebuilds
from knowledge.db.connection import Database
from knowledge.db.document_models import utcnow
from knowledge.db.rebuilds import LiveDocument
from knowledge.documents.chunking import chunk_document, contextual_text, make_token_counter
from knowledge.documents.parsing import parse_document
from knowledge.embeddings import Embedder
from knowledge.ingest import IngestOptions
from knowledge.stores.base import ChunkRecord, VectorStore, collection_name

log = logging.getLogger(__name__)

SourceReader = Callable[[str], bytes | None]
"""Reads a document's source by URI; None when it cannot be read (gone, or not a file)."""

# Documents whose live version changed while the new collection was being filled are copied
# again; past this many rounds something is rewriting faster than we copy, and we stop.
CATCH_UP_ROUNDS = 3


@dataclass
class RebuildReport:
    """What a rebuild did, for the run record and the CLI."""

    collection: str
    previous: str | None
    documents: int = 0
    reparsed: int = 0
    reembedded: int = 0
    chunks: int = 0
    seconds: float = 0.0
    not_rebuilt: dict[str, str] = field(default_factory=dict)
    previous_kept: bool = False
    """True when late writes to the old collection could not all be carried over."""


def read_file_source(uri: str) -> bytes | None:
    """The bytes of a file:// source, or None for anything else or a file that is gone."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    try:
        return Path(unquote(parsed.path)).read_bytes()
    except OSError:
        return None


def embedding_model_outdated(db: Database, store: VectorStore, fingerprint: str) -> bool:
    """True when the live collection or any live version was embedded by another model."""
    active = store.active_collection()
    if active is not None and not active.startswith(collection_name(fingerprint)):
        return True
    with db.session() as session:
        return rebuilds.count_live_versions_not_embedded_with(session, fingerprint) > 0


def new_collection_name(fingerprint: str, active: str | None, now: datetime) -> str:
    """collection_name(fingerprint), or with a time suffix when that one is the live collection
    (a rebuild with an unchanged model still has to build beside the live one)."""
    name = collection_name(fingerprint)
    return name if name != active else f"{name}_{now:%Y%m%d%H%M%S}"


def rebuild(
    db: Database,
    store: VectorStore,
    embedder: Embedder,
    options: IngestOptions,
    *,
    read_source: SourceReader = read_file_source,
    clock: Callable[[], datetime] = utcnow,
) -> RebuildReport:
    """Fill a new collection with every live document, switch to it, drop the old one."""
    started = time.perf_counter()
    previous = store.active_collection()
    target = new_collection_name(embedder.fingerprint, previous, clock())
    report = RebuildReport(collection=target, previous=previous)
    if target in store.list_collections():  # left over by an interrupted rebuild
        store.drop_collection(target)
    store.create_collection(target)

    filler = _Filler(store, embedder, options, previous, target, read_source, report)
    done: dict[tuple[str, int], int] = {}
    for _ in range(CATCH_UP_ROUNDS):
        with db.session() as session:
            missing = _not_yet(rebuilds.live_documents(session), done, report)
        if not missing:
            break
        done |= filler.fill(missing, allow_stored=True)

    store.activate(target)
    # Versions that went live in the old collection in the last moments before the swap can
    # only come from their source now (the old collection is no longer searchable).
    with db.session() as session:
        late = _not_yet(rebuilds.live_documents(session), done, report)
    done |= filler.fill(late, allow_stored=False)
    with db.session() as session:
        rebuilds.record_rebuilt(session, done, fingerprint=embedder.fingerprint)
        rebuilds.record_not_rebuilt(session, report.not_rebuilt)
    # A document that could not be carried over still has its chunks in the old collection:
    # keep it, so re-uploading is not the only way back.
    report.previous_kept = bool(report.not_rebuilt) or any(_key(d) not in done for d in late)
    if report.not_rebuilt:
        log.warning(
            "rebuild left %d documents behind; keeping %s", len(report.not_rebuilt), previous
        )
    if previous and previous != target and not report.previous_kept:
        store.drop_collection(previous)
    report.documents = len(done)
    report.seconds = time.perf_counter() - started
    log.info("rebuilt %s: %d documents, %d chunks", target, report.documents, report.chunks)
    return report


def _key(document: LiveDocument) -> tuple[str, int]:
    return (document.document_id, document.version)


def _not_yet(
    documents: Sequence[LiveDocument], done: dict[tuple[str, int], int], report: RebuildReport
) -> list[LiveDocument]:
    """Live documents neither copied yet nor already given up on."""
    return [d for d in documents if _key(d) not in done and d.document_id not in report.not_rebuilt]


class _Filler:
    """Writes documents' chunks into the new collection, embedding in full batches."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        options: IngestOptions,
        source: str | None,
        target: str,
        read_source: SourceReader,
        report: RebuildReport,
    ) -> None:
        self.store, self.embedder, self.options = store, embedder, options
        self.source, self.target = source, target
        self.read_source, self.report = read_source, report
        self.count_tokens = make_token_counter(embedder.tokenizer)

    def fill(
        self, documents: Sequence[LiveDocument], *, allow_stored: bool
    ) -> dict[tuple[str, int], int]:
        """Chunks of each document into the target; returns (id, version) -> chunks written."""
        batch: list[ChunkRecord] = []
        written: dict[tuple[str, int], int] = {}
        for document in documents:
            chunks = self._chunks(document, allow_stored=allow_stored)
            if chunks is None:
                continue
            batch.extend(chunks)
            written[_key(document)] = len(chunks)
            if len(batch) >= self.options.batch_chunks:
                self._write(batch, written)
                batch = []
        self._write(batch, written)
        return written

    def _chunks(self, document: LiveDocument, *, allow_stored: bool) -> list[ChunkRecord] | None:
        """Re-parse the source when it still holds the live content (chunking settings may
        have changed); else reuse the stored chunk texts; else the document is lost."""
        data = self.read_source(document.source_uri)
        if data is not None and hashlib.sha256(data).hexdigest() == document.content_hash:
            try:
                chunks = self._reparse(document, data)
                self.report.reparsed += 1
                return chunks
            except Exception as exc:  # a parser change must not stop the whole rebuild
                log.warning(
                    "re-parsing %s failed (%s); reusing its stored chunks",
                    document.document_id,
                    exc,
                )
        reason = "its source is no longer readable"
        if allow_stored:
            try:
                chunks = self._stored(document)
                self.report.reembedded += 1
                return chunks
            except Exception as exc:
                log.warning("reading stored chunks of %s failed: %s", document.document_id, exc)
                reason = f"its source is no longer readable and {exc}"
        self.report.not_rebuilt[document.document_id] = (
            f"{document.file_name} could not be carried over to the new index ({reason}): "
            "upload it again"
        )
        return None

    def _reparse(self, document: LiveDocument, data: bytes) -> list[ChunkRecord]:
        parsed = parse_document(data, document.file_name)
        chunks = chunk_document(
            parsed,
            count_tokens=self.count_tokens,
            chunk_tokens=self.options.chunk_tokens,
            overlap_tokens=self.options.overlap_tokens,
        )
        return [
            ChunkRecord(
                document_id=document.document_id,
                version=document.version,
                chunk_index=chunk.index,
                text=chunk.text,
                title=parsed.title,
                heading_path=chunk.heading_path,
                source_uri=document.source_uri,
                audiences=document.audiences,
                review_by=document.review_by,
            )
            for chunk in chunks
        ]

    def _stored(self, document: LiveDocument) -> list[ChunkRecord]:
        """Every stored chunk of the live version, listed from the collection being replaced,
        or ValueError saying why not (all or none: a partial read would silently shorten the
        document)."""
        chunks = self.store.list_chunks(
            document.document_id, document.version, collection=self.source
        )
        if [c.chunk_index for c in chunks] != list(range(document.chunk_count)):
            raise ValueError(
                f"only {len(chunks)} of its {document.chunk_count} stored passages could be "
                "read back"
            )
        return chunks

    def _write(self, batch: list[ChunkRecord], written: dict[tuple[str, int], int]) -> None:
        if not batch:
            return
        texts = [contextual_text(c.title, c.heading_path, c.text) for c in batch]
        vectors = self.embedder.encode(texts)
        records = [
            ChunkRecord(
                document_id=c.document_id,
                version=c.version,
                chunk_index=c.chunk_index,
                text=c.text,
                title=c.title,
                heading_path=c.heading_path,
                source_uri=c.source_uri,
                audiences=c.audiences,
                review_by=c.review_by,
                vector=tuple(float(x) for x in vector),
            )
            for c, vector in zip(batch, vectors, strict=True)
        ]
        result = self.store.upsert(records, collection=self.target)
        refused = {cid for cid, _ in result.errors}
        for record in records:
            if record.id in refused:
                written.pop((record.document_id, record.version), None)
                self.report.not_rebuilt[record.document_id] = (
                    f"the store refused a passage of {record.document_id}: "
                    f"{dict(result.errors)[record.id]}"
                )
        self.report.chunks += len(records) - len(refused)
