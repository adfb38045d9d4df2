"""Ingestion: files in -> parsed, chunked, embedded, stored as a new live document version.

Files are streamed: chunks from several small files are embedded together (the embedder is
the bottleneck and wants full batches), and a file's version goes live the moment all of its
chunks are stored. A failing file is reported and never takes anything already indexed with it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from knowledge.db import documents as registry
from knowledge.db.connection import Database
from knowledge.db.document_models import Document, DocumentVersion, utcnow
from knowledge.documents.chunking import chunk_document, contextual_text, make_token_counter
from knowledge.documents.parsed import Chunk, ParsedDocument, ParseError
from knowledge.documents.parsing import parse_document
from knowledge.embeddings import Embedder
from knowledge.settings import setting_default
from knowledge.stores.base import ChunkRecord, VectorStore

log = logging.getLogger(__name__)

Outcome = Literal["indexed", "unchanged", "duplicate", "failed"]


@dataclass(frozen=True)
class SourceFile:
    """Something to ingest: where it comes from, its name, its size, and how to read it."""

    uri: str
    name: str
    size: int
    read: Callable[[], bytes]

    @classmethod
    def from_path(cls, path: Path) -> SourceFile:
        resolved = path.resolve()
        return cls(
            uri=resolved.as_uri(),
            name=path.name,
            size=resolved.stat().st_size,
            read=lambda: read_regular_file(resolved),
        )

    @classmethod
    def from_bytes(cls, name: str, data: bytes, uri: str | None = None) -> SourceFile:
        return cls(uri=uri or f"upload://{name}", name=name, size=len(data), read=lambda: data)


@dataclass(frozen=True)
class IngestOptions:
    """How documents are cut and labelled. Explicit values win over what a file says."""

    chunk_tokens: int = setting_default("chunk_tokens")
    overlap_tokens: int = setting_default("chunk_overlap_tokens")
    max_bytes: int = setting_default("max_upload_bytes")
    batch_chunks: int = 256
    default_audiences: tuple[str, ...] = tuple(setting_default("default_audiences"))
    review_period_days: int = setting_default("review_period_days")
    audiences: tuple[str, ...] | None = None
    owner: str | None = None
    review_by: date | None = None
    actor: str = "system"


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; `error` is written for the person who supplied the file."""

    uri: str
    name: str
    outcome: Outcome
    document_id: str | None = None
    version: int | None = None
    chunks: int = 0
    error: str | None = None
    review_updated: date | None = None
    """For an unchanged file: the new review-by date an explicit `review_by` recorded."""


@dataclass
class _Prepared:
    source: SourceFile
    document_id: str
    version: int
    parsed: ParsedDocument
    chunks: list[Chunk]
    audiences: tuple[str, ...]
    review_by: date | None
    records: list[ChunkRecord] = field(default_factory=list)


READ_ATTEMPTS = 3


def read_regular_file(path: Path) -> bytes:
    """A regular file's bytes, never through a symbolic link (O_NOFOLLOW: a file swapped for a
    link after it was listed is refused) and never torn: a file rewritten or replaced while it
    was read is read again, and refused if it keeps changing."""
    for _ in range(READ_ATTEMPTS):
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            before = os.fstat(handle.fileno())
            if not stat.S_ISREG(before.st_mode):
                raise OSError(f"{path.name} is not a regular file")
            data = handle.read()
            after = os.fstat(handle.fileno())
        current = os.stat(path, follow_symlinks=False)
        same = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
        if same and len(data) == after.st_size and current.st_ino == after.st_ino:
            return data
    raise OSError(f"{path.name} kept changing while it was read; the next check reads it again")


def walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given files and folders, in a stable order, skipping hidden ones and
    symbolic links inside folders (a link named policy.md may point at a secret anywhere;
    link loops are never entered). A path named explicitly is taken as given."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if any(p.startswith((".", "_")) for p in relative):
                    continue
                if child.is_symlink():
                    log.warning("skipped a symbolic link in %s", path)
                    continue
                if child.is_file():
                    yield child
        else:
            yield path


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
        pending: list[_Prepared] = []
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

    # --- step 1: read, check, parse, chunk -------------------------------------------
    def _prepare(self, source: SourceFile) -> _Prepared | FileResult:
        if source.size > self.options.max_bytes:
            limit_mb = self.options.max_bytes / 1024 / 1024
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
        with self.db.session() as session:
            document = registry.by_source(session, source.uri)
            live = registry.live_version_row(session, document) if document else None
            if (
                document is not None
                and live is not None
                and document.status != "deleted"
                and live.content_hash == content_hash
                and live.embedding_model == self.embedder.fingerprint
            ):
                document.checked_at = utcnow()
                unchanged = FileResult(
                    source.uri,
                    source.name,
                    "unchanged",
                    document.id,
                    live.version,
                    live.chunk_count,
                )
                return self._confirm_review(session, document, unchanged)
            twin = registry.live_twin(session, content_hash, exclude_uri=source.uri)
            if twin is not None:
                message = (
                    f"{source.name} has the same content as {twin.id} ({twin.source_uri}); "
                    "not indexed twice"
                )
                return FileResult(source.uri, source.name, "duplicate", twin.id, error=message)
        try:
            parsed = parse_document(data, source.name)
            chunks = chunk_document(
                parsed,
                count_tokens=self.count_tokens,
                chunk_tokens=self.options.chunk_tokens,
                overlap_tokens=self.options.overlap_tokens,
            )
            if not chunks:
                raise ParseError(f"{source.name} has no text to index")
        except ParseError as exc:
            return self._fail(source, str(exc))
        except Exception as exc:  # a parser bug must not stop the batch
            log.exception("parsing %s failed", source.name)
            return self._fail(source, f"{source.name} could not be parsed: {exc}")
        with self.db.session() as session:
            document = self._register(session, source, parsed)
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
                    chunk_count=len(chunks),
                    embedding_model=self.embedder.fingerprint,
                    status="indexing",
                )
            )
            return _Prepared(
                source,
                document.id,
                version,
                parsed,
                chunks,
                audiences=tuple(document.audiences),
                review_by=document.review_by,
            )

    def _confirm_review(
        self, session: Session, document: Document, unchanged: FileResult
    ) -> FileResult:
        """An explicit review-by date for an unchanged file confirms a review of the live
        version; a date that is not in the future is refused, with the reason."""
        until = self.options.review_by
        if until is None or until == document.review_by:
            return unchanged
        try:
            registry.record_review(
                session, document, until=until, by=self.options.actor, now=utcnow()
            )
        except registry.ReviewError as exc:
            return replace(unchanged, error=f"review date not updated: {exc}")
        return replace(unchanged, review_updated=until)

    def _register(self, session: Session, source: SourceFile, parsed: ParsedDocument) -> Document:
        """Find or create the registry row; labels: explicit > file > existing > default."""
        options, meta = self.options, parsed.meta
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

    # --- step 2: embed, store, switch -------------------------------------------------
    def _commit(
        self, batch: list[_Prepared], on_chunks: Callable[[int], None] | None
    ) -> Iterator[FileResult]:
        texts = [
            contextual_text(p.parsed.title, c.heading_path, c.text) for p in batch for c in p.chunks
        ]
        vectors = self.embedder.encode(texts)
        row = 0
        for prepared in batch:
            prepared.records = [
                ChunkRecord(
                    document_id=prepared.document_id,
                    version=prepared.version,
                    chunk_index=chunk.index,
                    text=chunk.text,
                    title=prepared.parsed.title,
                    heading_path=chunk.heading_path,
                    source_uri=prepared.source.uri,
                    audiences=prepared.audiences,
                    review_by=prepared.review_by,
                    vector=tuple(float(x) for x in vectors[row + i]),
                )
                for i, chunk in enumerate(prepared.chunks)
            ]
            row += len(prepared.chunks)
        errors = self._write(batch)
        for position, prepared in enumerate(batch):
            yield self._go_live(prepared, errors.get(position))
            if on_chunks:
                on_chunks(len(prepared.chunks))

    def _write(self, batch: list[_Prepared]) -> dict[int, str]:
        """Store a batch's chunks in one write (stores pay per write, not per row); return
        the error of each file that could not be stored, by its position in the batch."""
        try:
            result = self.store.upsert([record for p in batch for record in p.records])
        except Exception:
            # The batch write failed as a whole: write file by file to keep the good ones
            # (safe to repeat: chunk ids are deterministic and writes replace).
            attempts = {i: self._write_one(p) for i, p in enumerate(batch)}
            return {i: error for i, error in attempts.items() if error}
        refused = dict(result.errors)
        errors: dict[int, str] = {}
        for position, prepared in enumerate(batch):
            reasons = [refused[r.id] for r in prepared.records if r.id in refused]
            if reasons:
                errors[position] = (
                    f"{len(reasons)} passages were refused by the store: {reasons[0]}"
                )
        return errors

    def _write_one(self, prepared: _Prepared) -> str | None:
        try:
            result = self.store.upsert(prepared.records)
        except Exception as exc:
            return str(exc)
        if result.errors:
            return f"{len(result.errors)} passages were refused by the store: {result.errors[0][1]}"
        return None

    def _go_live(self, prepared: _Prepared, error: str | None) -> FileResult:
        source = prepared.source
        if error is not None:
            # Nothing of this version is served (it never went live); clear what was written.
            self._drop_version(prepared)
            return self._fail(source, f"storing {source.name} failed: {error}", prepared)
        with self.db.session() as session:
            document = registry.get(session, prepared.document_id)
            assert document is not None
            version = next(v for v in document.versions if v.version == prepared.version)
            superseded = registry.switch_live(session, document, version)
            registry.audit(
                session,
                self.options.actor,
                "document.indexed",
                document.id,
                version=prepared.version,
                chunks=len(prepared.records),
            )
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

    def _drop_version(self, prepared: _Prepared) -> None:
        try:
            self.store.delete(prepared.document_id, versions=[prepared.version])
        except Exception:
            log.warning(
                "could not remove partial version %s of %s", prepared.version, prepared.document_id
            )

    def _fail(
        self, source: SourceFile, error: str, prepared: _Prepared | None = None
    ) -> FileResult:
        log.warning("ingest failed: %s", error)
        with self.db.session() as session:
            document = registry.by_source(session, source.uri)
            if document is None:
                document = registry.create(
                    session,
                    source_uri=source.uri,
                    stem=Path(source.name).stem,
                    audiences=self.options.default_audiences,
                    owner=None,
                    review_by=None,
                )
            registry.record_failure(session, document, error)
            if prepared is not None:
                for version in document.versions:
                    if version.version == prepared.version:
                        version.status, version.error = "failed", error
            return FileResult(source.uri, source.name, "failed", document.id, error=error)

    # --- deletion ------------------------------------------------------------------------
    def delete(self, document_id: str, *, actor: str = "system") -> int:
        """Stop serving a document at once, then remove its chunks; return how many went."""
        with self.db.session() as session:
            document = registry.get(session, document_id)
            if document is None:
                raise KeyError(document_id)
            registry.mark_deleted(session, document)
            registry.audit(session, actor, "document.deleted", document_id)
        return self.store.delete(document_id)


def timed(results: Iterable[FileResult]) -> tuple[list[FileResult], float]:
    """Drain results and time it (used by the CLI summary and the benchmarks)."""
    start = time.perf_counter()
    collected = list(results)
    return collected, time.perf_counter() - start
