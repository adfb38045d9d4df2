"""The re-index use case: bring the index in line with every watched source, changes only."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from knowledge.db import exclusions, watched_sources
from knowledge.db.connection import Database
from knowledge.db.document_models import utcnow
from knowledge.db.scheduler_models import WatchedSource
from knowledge.db.watched_sources import FileState
from knowledge.ingest import FileResult, Ingestor
from knowledge.observability import REINDEX_RUNS
from knowledge.rebuild import RebuildReport, embedding_model_outdated, read_file_source, rebuild
from knowledge.services import Services, build_store
from knowledge.stores.base import SchemaMismatchError, VectorStore
from pipelines.sources import Scan, SourceError, check_url, read_url, scan_folder

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 30.0


@dataclass
class SourceReport:
    """What one source contributed to a run."""

    location: str
    status: str = "ok"
    """ok | partial (some files failed) | error (the source could not be read)"""
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks: int = 0
    error: str | None = None


@dataclass
class ReindexReport:
    """A whole run: per-source outcomes, and the rebuild when one was needed."""

    sources: list[SourceReport] = field(default_factory=list)
    rebuild: RebuildReport | None = None

    @property
    def result(self) -> str:
        return "ok" if all(s.status == "ok" for s in self.sources) else "partial"

    def counts(self) -> dict[str, Any]:
        totals: dict[str, Any] = {
            key: sum(getattr(s, key) for s in self.sources)
            for key in ("new", "changed", "unchanged", "removed", "failed", "chunks")
        }
        totals["sources"] = len(self.sources)
        totals["sources_failed"] = sum(s.status == "error" for s in self.sources)
        if self.rebuild is not None:
            totals["rebuild"] = asdict(self.rebuild)
        return totals

    def errors(self) -> str | None:
        lines = [f"{s.location}: {s.error}" for s in self.sources if s.error]
        return "\n".join(lines) or None


def reindex(
    services: Services,
    *,
    deep: bool = False,
    full: bool = False,
    clock: Callable[[], datetime] = utcnow,
) -> ReindexReport:
    """Check every watched source and index what changed.

    New files are ingested, changed ones get a new version (only they are re-embedded), files
    that disappeared leave search, unchanged ones only get their check time updated. A source
    that cannot be read keeps everything it had. A different embedding model (or `full`)
    first rebuilds the whole index beside the live one. `deep` hashes every file and skips
    HTTP validators instead of trusting size/mtime and ETag/Last-Modified.
    """
    report = ReindexReport()
    settings = services.settings
    with httpx.Client(
        timeout=HTTP_TIMEOUT_S, follow_redirects=True, headers={"User-Agent": "helpbot-reindex"}
    ) as client:
        store = open_store(services)
        if full or embedding_model_outdated(services.db, store, services.embedder.fingerprint):
            report.rebuild = rebuild(
                services.db,
                store,
                services.embedder,
                services.ingest_options(),
                read_source=lambda uri: read_source(uri, client, settings.max_upload_bytes),
                clock=clock,
            )
        ingestor = services.ingestor(actor="scheduler")
        with services.db.session() as session:
            sources = watched_sources.list_sources(session, enabled_only=True)
        for source in sources:
            outcome = reindex_source(
                services.db,
                ingestor,
                source,
                client,
                deep=deep or full,
                now=clock(),
                max_bytes=settings.max_upload_bytes,
            )
            report.sources.append(outcome)
    if any(s.status != "error" for s in report.sources):
        store.optimize()  # fold the run's writes into the indices (Weaviate does it itself)
    REINDEX_RUNS.labels(outcome=report.result).inc()
    return report


def reindex_source(
    db: Database,
    ingestor: Ingestor,
    source: WatchedSource,
    client: httpx.Client,
    *,
    deep: bool,
    now: datetime,
    max_bytes: int,
) -> SourceReport:
    """One source: scan, ingest the changes, remove what is gone, record what was seen."""
    report = SourceReport(source.location)
    with db.session() as session:
        known = watched_sources.file_states(session, source.id)
        excluded = exclusions.excluded_uris(session, source.id)
    try:
        scan = _scan(source, known, client, deep=deep, max_bytes=max_bytes, excluded=excluded)
    except SourceError as exc:
        log.warning("source %s failed: %s", source.location, exc)
        with db.session() as session:
            watched_sources.record_source_check(
                session, source.id, at=now, status="error", error=str(exc)
            )
        return replace(report, status="error", error=str(exc))

    results = list(ingestor.ingest(item.file for item in scan.to_ingest if item.file))
    for uri in scan.removed:
        _remove(ingestor, known[uri].document_id)
    _count(report, scan, results)

    states = {item.state.uri: item.state for item in scan.to_ingest}
    saved = [
        replace(states[r.uri], document_id=r.document_id)
        for r in results
        if r.outcome != "failed"  # a failed file is tried again next run
    ] + [item.state for item in scan.touched]
    unchanged_ids = [known[uri].document_id for uri in scan.unchanged] + [
        item.state.document_id for item in scan.touched
    ]
    with db.session() as session:
        watched_sources.touch_documents(session, [i for i in unchanged_ids if i], at=now)
        watched_sources.save_file_states(session, source.id, saved, at=now)
        watched_sources.forget_files(session, source.id, scan.removed)
        watched_sources.record_source_check(
            session, source.id, at=now, status=report.status, error=report.error
        )
    return report


def _scan(
    source: WatchedSource,
    known: Mapping[str, FileState],
    client: httpx.Client,
    *,
    deep: bool,
    max_bytes: int,
    excluded: set[str],
) -> Scan:
    if source.kind == "folder":
        return scan_folder(Path(source.location), known, deep=deep, excluded=excluded)
    if source.location in excluded:
        return Scan(removed=[source.location] if source.location in known else [])
    return check_url(
        source.location, known.get(source.location), client, deep=deep, max_bytes=max_bytes
    )


def _count(report: SourceReport, scan: Scan, results: list[FileResult]) -> None:
    for result in results:
        if result.outcome == "failed":
            report.failed += 1
            report.error = report.error or result.error
        elif result.outcome == "unchanged":
            report.unchanged += 1
        else:
            report.chunks += result.chunks
            if result.version == 1:
                report.new += 1
            else:
                report.changed += 1
    report.unchanged += len(scan.unchanged) + len(scan.touched)
    report.removed = len(scan.removed)
    if report.failed:
        report.status = "partial"


def _remove(ingestor: Ingestor, document_id: str | None) -> int:
    """Take a vanished file's document out of search (the registry gate first, then chunks)."""
    if document_id is None:
        return 0
    try:
        return ingestor.delete(document_id, actor="scheduler")
    except KeyError:
        return 0


def open_store(services: Services) -> VectorStore:
    """The process's store; when its live collection was built by a model of another vector
    size, an unchecked handle, so that the rebuild can replace that collection."""
    try:
        return services.store
    except SchemaMismatchError:
        log.warning("the live collection does not fit the embedding model; rebuilding it")
        return build_store(services.settings, services.embedder)


def read_source(uri: str, client: httpx.Client, max_bytes: int) -> bytes | None:
    """A document's source for a rebuild: local files and http(s) URLs."""
    if uri.startswith(("http://", "https://")):
        return read_url(uri, client, max_bytes)
    return read_file_source(uri)
