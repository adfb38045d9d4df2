"""Knowledge: upload and replace documents, the paged document table, chunks, delete, review."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy.orm import Session

from admin.auth import record
from admin.context import ConsoleContext
from admin.tabs.sources import run_requested
from knowledge import deletion
from knowledge.db import console_pages, exclusions, job_runs
from knowledge.db import documents as registry
from knowledge.db.document_models import Document
from knowledge.db.writer import WriterBusyError, cli_holder, writer_lease
from knowledge.ingest import FileResult, SourceFile

DOC_HEADERS = [
    "id",
    "title",
    "version",
    "status",
    "chunks",
    "owner",
    "audiences",
    "review by",
    "error",
]
RESULT_HEADERS = ["file", "outcome", "document", "version", "chunks", "message"]
PAGE_SIZE = 20
# How long a delete waits for a running re-index to finish before giving up.
WRITER_WAIT_S = 30.0


def _upload_path(item: Any) -> Path:
    """Gradio hands uploads over as paths (str) or objects with a .name / .path."""
    for attribute in ("path", "name"):
        value = getattr(item, attribute, None)
        if isinstance(value, str):
            return Path(value)
    return Path(str(item))


def _display_name(path: Path) -> str:
    return path.name


def _source(ctx: ConsoleContext, path: Path, uri: str | None = None) -> SourceFile | FileResult:
    """A SourceFile for an uploaded file, or a failed result when it is too large to read."""
    name = _display_name(path)
    size = path.stat().st_size
    limit = ctx.services.settings.max_upload_bytes
    if size > limit:
        return FileResult(
            uri or f"upload://{name}",
            name,
            "failed",
            error=f"the file is {size:,} bytes; the limit is {limit:,} (HELPBOT_MAX_UPLOAD_BYTES)",
        )
    return SourceFile(uri=uri or f"upload://{name}", name=name, size=size, read=path.read_bytes)


def result_row(result: FileResult) -> list[Any]:
    message = result.error or ""
    if result.outcome == "indexed":
        message = message or "indexed: answers use it now"
    elif result.outcome == "unchanged" and not message:
        message = "unchanged: same content as the live version"
    return [
        result.name,
        result.outcome,
        result.document_id or "",
        result.version or "",
        result.chunks,
        message,
    ]


def _options(user: str, audiences: str, owner: str, review_by: str) -> dict[str, Any]:
    overrides: dict[str, Any] = {"actor": f"console:{user}"}
    chosen = tuple(a.strip() for a in audiences.split(",") if a.strip())
    if chosen:
        overrides["audiences"] = chosen
    if owner.strip():
        overrides["owner"] = owner.strip()
    if review_by.strip():
        try:
            overrides["review_by"] = date.fromisoformat(review_by.strip())
        except ValueError:
            raise ValueError(f"Review-by must be a date, YYYY-MM-DD: {review_by!r}") from None
    return overrides


def upload(
    ctx: ConsoleContext,
    files: list[Any] | None,
    audiences: str,
    owner: str,
    review_by: str,
    user: str,
) -> Iterator[tuple[str, list[list[Any]]]]:
    """Ingest uploaded files one by one, yielding the results so far after each (progress)."""
    if not files:
        raise ValueError("Choose one or more files to upload first.")
    overrides = _options(user, audiences, owner, review_by)
    paths = [_upload_path(f) for f in files]
    rows: list[list[Any]] = []
    sources: list[SourceFile] = []
    for path in paths:
        prepared = _source(ctx, path)
        if isinstance(prepared, FileResult):
            rows.append(result_row(prepared))
        else:
            sources.append(prepared)
    yield _progress(rows, len(paths)), rows
    for result in ctx.services.ingestor(**overrides).ingest(sources):
        rows.append(result_row(result))
        yield _progress(rows, len(paths)), rows
    record(ctx, user, "console.upload", "", files=[p.name for p in paths], results=len(rows))
    _optimize(ctx)
    yield _summary(rows), rows


def _optimize(ctx: ConsoleContext) -> None:
    ctx.services.store.optimize()


def _progress(rows: list[list[Any]], total: int) -> str:
    return f"Processed {len(rows)} of {total} files…"


def _summary(rows: list[list[Any]]) -> str:
    outcomes = [row[1] for row in rows]
    parts = [f"{outcomes.count(o)} {o}" for o in ("indexed", "unchanged", "duplicate", "failed")]
    return f"Done: {len(rows)} files — " + ", ".join(parts) + "."


def _document(
    session: Session, document_id: str, *, deleted_ok: bool = False, hint: str = ""
) -> Document:
    """The document an admin named (id, source or file name); else one sentence: none."""
    doc = registry.resolve(session, document_id.strip())
    if doc is None or (doc.status == "deleted" and not deleted_ok):
        raise ValueError(f"There is no document {document_id!r}{hint}.")
    return doc


def replace_document(ctx: ConsoleContext, document_id: str, file: Any, user: str) -> str:
    """Upload a new version of an existing document (same source, so same id)."""
    if not document_id.strip():
        raise ValueError("Pick the document to replace first (its id).")
    if file is None:
        raise ValueError("Choose the file with the new version.")
    with ctx.services.db.session() as session:
        doc = _document(session, document_id)
        uri, doc_id = doc.source_uri, doc.id
        watched = console_pages.watching_sources(session, doc_id)
    prepared = _source(ctx, _upload_path(file), uri=uri)
    if isinstance(prepared, FileResult):
        return f"Not replaced: {prepared.error}"
    (result,) = list(ctx.services.ingestor(actor=f"console:{user}").ingest([prepared]))
    record(ctx, user, "console.replace", doc_id, outcome=result.outcome)
    _optimize(ctx)
    if result.outcome == "failed":
        return f"Not replaced: {result.error}. The live version keeps being served."
    message = f"{doc_id}: {result.outcome} (version {result.version}, {result.chunks} chunks)."
    if watched:
        message += (
            f" Note: this document comes from the watched source {watched[0]}; the next "
            "re-index puts the source's file back when it changes there."
        )
    return message


def document_table(ctx: ConsoleContext, search: str, page: int) -> tuple[list[list[Any]], str]:
    with ctx.services.db.session() as session:
        found = console_pages.document_page(
            session, search=search, page=max(int(page or 1), 1) - 1, size=PAGE_SIZE
        )
        rows = [
            [
                d.id,
                d.title,
                d.live_version or "",
                d.status,
                d.chunk_count,
                d.owner or "",
                ", ".join(d.audiences or []),
                d.review_by.isoformat() if d.review_by else "",
                (d.last_error or "")[:120],
            ]
            for d in found.rows
        ]
    label = f"Page {found.page + 1} of {found.pages} · {found.total} documents"
    return rows, label


def chunk_preview(ctx: ConsoleContext, document_id: str) -> str:
    if not document_id.strip():
        raise ValueError("Type or click a document id first.")
    with ctx.services.db.session() as session:
        doc = _document(session, document_id, deleted_ok=True)
        doc_id, live, title = doc.id, doc.live_version, doc.title
    if live is None:
        return f"{title} ({doc_id}) has no live version: nothing is served from it."
    chunks = ctx.services.store.list_chunks(doc_id, live)
    parts = [f"{title} ({doc_id}) v{live}: {len(chunks)} chunks"]
    for chunk in chunks:
        parts.append(f"\n#{chunk.chunk_index} {chunk.section}\n{chunk.text}")
    return "\n".join(parts)


AT_SOURCE_CHOICES = [
    ("Ask me first if a watched source holds it", ""),
    ("Exclude it from the source (the file stays there, never indexed again)", "exclude"),
    ("Delete its file at the source too", "remove"),
]


def delete_document(ctx: ConsoleContext, document_id: str, at_source: str | None, user: str) -> str:
    """Stop serving a document at once. One a watched source still holds needs `at_source`:
    "exclude" (skip its file from now on) or "remove" (delete the file there), or the next
    re-index would bring it back; without it the admin is asked and nothing changes."""
    if not document_id.strip():
        raise ValueError("Type or click the id of the document to delete.")
    choice = (at_source or "").strip() or None
    if choice not in (None, "exclude", "remove"):
        raise ValueError(f"Choose to exclude it from the source or to remove it there: {choice!r}")
    with ctx.services.db.session() as session:
        doc = _document(session, document_id, hint=" (already deleted?)")
        doc_id = doc.id
    actor = f"console:{user}"
    try:
        with writer_lease(ctx.services.db, f"{actor}/{cli_holder()}", wait_s=WRITER_WAIT_S):
            deleted = deletion.delete_document(
                ctx.services.ingestor(actor=actor),
                doc_id,
                at_source=cast("deletion.AtSource | None", choice),
                actor=actor,
            )
    except deletion.NeedsChoiceError:
        return _needs_choice(ctx, doc_id, choice)
    except WriterBusyError as exc:
        raise ValueError(f"{exc} Nothing was deleted; try again in a minute.") from exc
    record(
        ctx,
        user,
        "console.delete",
        doc_id,
        chunks=deleted.chunks,
        source=deleted.source,
        at_source=deleted.at_source,
    )
    done = f"Deleted {doc_id}: answers stopped using it; {deleted.chunks} chunks removed."
    if deleted.at_source == "exclude":
        return f"{done} Excluded from {deleted.source}: re-indexing will not bring it back."
    if deleted.at_source == "remove":
        return f"{done} Its file in {deleted.source} was deleted too."
    return done


def _needs_choice(ctx: ConsoleContext, doc_id: str, choice: str | None) -> str:
    with ctx.services.db.session() as session:
        doc = registry.get(session, doc_id)
        source = exclusions.source_holding(session, doc.source_uri) if doc else None
        where = source.location if source else "a watched source"
    if choice == "remove":
        return (
            f"{doc_id} comes from the URL source {where}; the console cannot delete it there. "
            "Choose 'Exclude it from the source' and delete again. Nothing was deleted."
        )
    return (
        f"{doc_id} comes from the watched source {where}, which would bring it back at the next "
        "re-index. Choose 'Exclude it from the source' (or delete its file there) and delete "
        "again. Nothing was deleted."
    )


def confirm_review(ctx: ConsoleContext, document_id: str, until: str, user: str) -> str:
    try:
        new_date = date.fromisoformat(until.strip())
    except ValueError:
        raise ValueError(f"The review date must be YYYY-MM-DD: {until!r}") from None
    with ctx.services.db.session() as session:
        doc = _document(session, document_id)
        change = registry.record_review(
            session, doc, until=new_date, by=f"console:{user}", now=ctx.now()
        )
    note = " It is no longer marked overdue." if change.was_stale else ""
    return f"{change.document_id}: review by {change.review_by}.{note}"


def reindex_now(ctx: ConsoleContext, user: str) -> str:
    """Ask the scheduler leader to re-index every watched source now."""
    now = ctx.now()
    with ctx.services.db.session() as session:
        run_id = job_runs.request_run(
            session, job="reindex", requested_by=f"console:{user}", at=now
        )
        message = run_requested(session, "Re-index", run_id, now=now)
    record(ctx, user, "console.reindex_requested", str(run_id))
    return message
