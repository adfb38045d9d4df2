"""Ingestion: files in -> parsed, chunked, embedded, stored as a new live document version.

Files are streamed: chunks from several small files are embedded together (the embedder is
the bottleneck and wants full batches), and a file's version goes live the moment all of its
chunks are stored. A failing file is reported and never takes anything already indexed with it.
The steps live beside this module: ingest_sources (walking and reading), ingest_registry (the
registry side of one file), ingest_writes (batched embedding and store writes).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator

from knowledge.db.connection import Database
from knowledge.documents.chunking import chunk_document, make_token_counter
from knowledge.documents.parsed import ParseError
from knowledge.documents.parsing import parse_document
from knowledge.embeddings import Embedder
from knowledge.ingest_registry import (
    known_content,
    mark_deleted,
    record_failure,
    register_version,
    switch_live,
)
from knowledge.ingest_sources import SourceFile, read_regular_file, walk
from knowledge.ingest_types import FileResult, IngestOptions, Outcome, PreparedFile
from knowledge.ingest_writes import embed_batch, write_batch
from knowledge.stores.base import VectorStore

__all__ = [
    "FileResult",
    "IngestOptions",
    "Ingestor",
    "Outcome",
    "SourceFile",
    "read_regular_file",
    "timed",
    "walk",
]

log = logging.getLogger(__name__)


class Ingestor:
    """Runs ingestion against one database, store and embedder."""

    def __init__(
        self, db: Database, store: VectorStore, embedder: Embedder, options: IngestOptions
    ) -> None:
        self.db = db
        self.store = store
        self.embedder = embedder
        self.options = options
        self._count_tokens: Callable[[str], int] | None = None

    def count_tokens(self, text: str) -> int:
        if self._count_tokens is None:
            self._count_tokens = make_token_counter(self.embedder.tokenizer)
        return self._count_tokens(text)

    def ingest(
        self, sources: Iterable[SourceFile], *, on_chunks: Callable[[int], None] | None = None
    ) -> Iterator[FileResult]:
        """Ingest every source, yielding each file's result as soon as it is known."""
        pending: list[PreparedFile] = []
        for source in sources:
            prepared = self._prepare(source)
            if isinstance(prepared, FileResult):
                yield prepared
                continue
            pending.append(prepared)
            if sum(len(p.chunks) for p in pending) >= self.options.batch_chunks:
                yield from self._commit(pending, on_chunks)
                pending = []
        if pending:
            yield from self._commit(pending, on_chunks)

    # --- step 1: read, check, parse, chunk, register ---------------------------------
    def _prepare(self, source: SourceFile) -> PreparedFile | FileResult:
        options = self.options
        if source.size > options.max_bytes:
            limit_mb = options.max_bytes / 1024 / 1024
            return self._fail(
                source,
                f"{source.name} is {source.size / 1024 / 1024:.1f} MB; "
                f"the limit is {limit_mb:.0f} MB (HELPBOT_MAX_UPLOAD_BYTES)",
            )
        try:
            data = source.read()
        except OSError as exc:
            return self._fail(source, f"cannot read {source.name}: {exc.strerror or exc}")
        content_hash = hashlib.sha256(data).hexdigest()
        fingerprint = self.embedder.fingerprint
        with self.db.session() as session:
            known = known_content(session, source, content_hash, fingerprint, options)
            if known is not None:
                return known
        try:
            parsed = parse_document(data, source.name)
            chunks = chunk_document(
                parsed,
                count_tokens=self.count_tokens,
                chunk_tokens=options.chunk_tokens,
                overlap_tokens=options.overlap_tokens,
            )
            if not chunks:
                raise ParseError(f"{source.name} has no text to index")
        except ParseError as exc:
            return self._fail(source, str(exc))
        except Exception as exc:  # a parser bug must not stop the batch
            log.exception("parsing %s failed", source.name)
            return self._fail(source, f"{source.name} could not be parsed: {exc}")
        with self.db.session() as session:
            document, version = register_version(
                session,
                source,
                parsed,
                chunk_count=len(chunks),
                content_hash=content_hash,
                embedding_model=fingerprint,
                options=options,
            )
            return PreparedFile(
                source,
                document.id,
                version,
                parsed,
                chunks,
                audiences=tuple(document.audiences),
                review_by=document.review_by,
            )

    # --- step 2: embed, store, switch -------------------------------------------------
    def _commit(
        self, batch: list[PreparedFile], on_chunks: Callable[[int], None] | None
    ) -> Iterator[FileResult]:
        embed_batch(self.embedder, batch)
        errors = write_batch(self.store, batch)
        for position, prepared in enumerate(batch):
            yield self._go_live(prepared, errors.get(position))
            if on_chunks:
                on_chunks(len(prepared.chunks))

    def _go_live(self, prepared: PreparedFile, error: str | None) -> FileResult:
        source = prepared.source
        if error is not None:
            # Nothing of this version is served (it never went live); clear what was written.
            self._drop_version(prepared)
            return self._fail(source, f"storing {source.name} failed: {error}", prepared)
        superseded = switch_live(self.db, prepared, self.options.actor)
        # After the switch nobody reads older versions (the registry gate); remove them.
        # A brand-new document has none, so it costs the store nothing.
        if superseded:
            self.store.delete(prepared.document_id, versions=sorted(superseded))
        return FileResult(
            source.uri,
            source.name,
            "indexed",
            prepared.document_id,
            prepared.version,
            len(prepared.records),
        )

    def _drop_version(self, prepared: PreparedFile) -> None:
        try:
            self.store.delete(prepared.document_id, versions=[prepared.version])
        except Exception:
            log.warning(
                "could not remove partial version %s of %s", prepared.version, prepared.document_id
            )

    def _fail(
        self, source: SourceFile, error: str, prepared: PreparedFile | None = None
    ) -> FileResult:
        log.warning("ingest failed: %s", error)
        return record_failure(self.db, source, error, self.options, prepared)

    # --- deletion ------------------------------------------------------------------------
    def delete(self, document_id: str, *, actor: str = "system") -> int:
        """Stop serving a document at once, then remove its chunks; return how many went."""
        mark_deleted(self.db, document_id, actor)
        return self.store.delete(document_id)


def timed(results: Iterable[FileResult]) -> tuple[list[FileResult], float]:
    """Drain results and time it (used by the CLI summary and the benchmarks)."""
    start = time.perf_counter()
    collected = list(results)
    return collected, time.perf_counter() - start
