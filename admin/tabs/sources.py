"""Sources and schedules: watched folders and URLs, each job's last and next run, the outbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import gradio as gr
from sqlalchemy.orm import Session

from admin.auth import action, record
from admin.context import ConsoleContext
from knowledge.db import job_runs, leases, outbox, watched_sources

SOURCE_HEADERS = ["location", "kind", "files", "status", "checked (UTC)", "added by", "error"]
SCHEDULE_HEADERS = ["job", "last run (UTC)", "trigger", "result", "counts", "next run (UTC)"]
OUTBOX_HEADERS = [
    "id",
    "created (UTC)",
    "kind",
    "recipient",
    "document",
    "status",
    "attempts",
    "error",
]
JOBS = ("reindex", "review", "rebuild")


def _stamp(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def location_of(text: str) -> tuple[str, str]:
    """('http', url) or ('folder', absolute path) for what an admin typed; ValueError if neither."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        if not urlparse(text).netloc:
            raise ValueError(f"{text!r} is not a valid URL.")
        return "http", text
    if not text or "://" in text:
        raise ValueError("Give a folder on this machine or an http(s) URL.")
    path = Path(text).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder on the console's machine.")
    return "folder", str(path)


def source_rows(ctx: ConsoleContext) -> list[list[Any]]:
    with ctx.services.db.session() as session:
        files = watched_sources.source_file_counts(session)
        return [
            [
                s.location,
                s.kind,
                files.get(s.id, 0),
                s.status,
                _stamp(s.checked_at),
                s.added_by,
                (s.last_error or "")[:160],
            ]
            for s in watched_sources.list_sources(session)
        ]


def add_source(ctx: ConsoleContext, location: str, user: str) -> str:
    kind, where = location_of(location)
    with ctx.services.db.session() as session:
        if watched_sources.source_at(session, where):
            raise ValueError(f"{where} is already watched.")
        watched_sources.add_source(session, location=where, kind=kind, added_by=f"console:{user}")
    record(ctx, user, "console.source_added", where, kind=kind)
    minutes = ctx.services.settings.reindex_interval_minutes
    return f"Watching {kind} {where}: checked every {minutes} minutes (or 'Run now')."


def remove_source(ctx: ConsoleContext, location: str, delete_documents: bool, user: str) -> str:
    """Stop watching; its documents stay served unless `delete_documents`."""
    where = location.strip()
    with ctx.services.db.session() as session:
        source = watched_sources.source_at(session, where)
        if source is None:
            try:
                source = watched_sources.source_at(session, location_of(where)[1])
            except ValueError:
                source = None
        if source is None:
            raise ValueError(f"{where!r} is not a watched source (click a row to pick one).")
        where = source.location
        document_ids = watched_sources.remove_source(session, source)
    removed = 0
    if delete_documents:
        ingestor = ctx.services.ingestor(actor=f"console:{user}")
        for document_id in document_ids:
            ingestor.delete(document_id, actor=f"console:{user}")
            removed += 1
    record(ctx, user, "console.source_removed", where, deleted=removed)
    if delete_documents:
        return f"Stopped watching {where}; {removed} of its documents deleted."
    return f"Stopped watching {where}; its {len(document_ids)} documents stay served."


def schedule_rows(ctx: ConsoleContext) -> list[list[Any]]:
    with ctx.services.db.session() as session:
        upcoming = job_runs.scheduled_jobs(session)
        rows = []
        for job in JOBS:
            runs = [
                r
                for r in job_runs.recent_runs(session, job=job, limit=5)
                if r.result not in ("requested", "accepted")
            ]
            last = runs[0] if runs else None
            rows.append(
                [
                    job,
                    _stamp(last.started_at) if last else "never",
                    last.trigger if last else "",
                    (last.result + (f": {last.error}" if last.error else "")) if last else "",
                    ", ".join(f"{k} {v}" for k, v in (last.counts or {}).items()) if last else "",
                    _stamp(upcoming.get(job)) or "not scheduled",
                ]
            )
    return rows


def run_now(ctx: ConsoleContext, job: str, user: str) -> str:
    if job not in JOBS:
        raise ValueError(f"Unknown job {job!r}: choose {', '.join(JOBS)}.")
    now = ctx.now()
    with ctx.services.db.session() as session:
        run_id = job_runs.request_run(session, job=job, requested_by=f"console:{user}", at=now)
        message = run_requested(session, job, run_id, now=now)
    record(ctx, user, "console.run_requested", job, run=run_id)
    return message


def run_requested(session: Session, label: str, run_id: int, *, now: datetime) -> str:
    """'<label> requested (run N)' and whether a running scheduler will start it."""
    leader = leases.current_lease(session, leases.SCHEDULER_LEASE, now=now)
    if leader is None:
        return (
            f"{label} requested (run {run_id}), but no scheduler is running: it starts when "
            "`helpbot up` or `helpbot scheduler` runs."
        )
    return f"{label} requested (run {run_id}); the scheduler ({leader.holder}) starts it shortly."


def outbox_rows(ctx: ConsoleContext, status: str) -> list[list[Any]]:
    with ctx.services.db.session() as session:
        return [
            [
                n.id,
                _stamp(n.created_at),
                n.kind,
                n.recipient,
                n.document_id or "",
                n.status,
                n.attempts,
                (n.error or "")[:160],
            ]
            for n in outbox.list_notifications(
                session, status=None if status in ("", "all") else status, limit=100
            )
        ]


def retry_failed(ctx: ConsoleContext, user: str) -> str:
    with ctx.services.db.session() as session:
        count = outbox.requeue_failed_notifications(session)
    record(ctx, user, "console.notifications_retried", "", count=count)
    return f"{count} failed notifications queued again."


def build(ctx: ConsoleContext, tab: gr.Tab) -> None:
    gr.Markdown("### Watched sources")
    sources = gr.Dataframe(headers=SOURCE_HEADERS, interactive=False, wrap=True)
    with gr.Row():
        location = gr.Textbox(label="Folder or URL", scale=3)
        add = gr.Button("Add", scale=1)
        delete_docs = gr.Checkbox(label="Also delete its documents", scale=1)
        remove = gr.Button("Remove", variant="stop", scale=1)
    message = gr.Markdown()
    gr.Markdown("### Schedules")
    schedules = gr.Dataframe(headers=SCHEDULE_HEADERS, interactive=False, wrap=True)
    with gr.Row():
        job = gr.Dropdown(list(JOBS), value="reindex", label="Job", scale=2)
        run = gr.Button("Run now", scale=1)
    gr.Markdown("### Notification outbox")
    with gr.Row():
        status = gr.Dropdown(
            ["all", "pending", "sending", "sent", "failed", "withdrawn"],
            value="all",
            label="Status",
        )
        retry = gr.Button("Retry failed")
    outbox = gr.Dataframe(headers=OUTBOX_HEADERS, interactive=False, wrap=True)

    @action(ctx, "viewer")
    def on_refresh(status: str, request: gr.Request) -> tuple[Any, Any, Any]:
        return source_rows(ctx), schedule_rows(ctx), outbox_rows(ctx, status)

    @action(ctx, "editor")
    def on_add(location: str, request: gr.Request) -> str:
        return add_source(ctx, location, str(request.username))

    @action(ctx, "editor")
    def on_remove(location: str, delete_documents: bool, request: gr.Request) -> str:
        return remove_source(ctx, location, delete_documents, str(request.username))

    @action(ctx, "editor")
    def on_run(job: str, request: gr.Request) -> str:
        return run_now(ctx, job, str(request.username))

    @action(ctx, "editor")
    def on_retry(request: gr.Request) -> str:
        return retry_failed(ctx, str(request.username))

    def on_select(evt: gr.SelectData, rows: Any) -> str:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return str(rows.iloc[row, 0])
        except (AttributeError, IndexError):
            return ""

    views = [sources, schedules, outbox]
    tab.select(on_refresh, [status], views, api_name="sources")
    status.change(on_refresh, [status], views, api_visibility="private")
    sources.select(on_select, [sources], [location], api_visibility="private")
    add.click(on_add, [location], [message], api_name="add_source").then(
        on_refresh, [status], views, api_visibility="private"
    )
    remove.click(on_remove, [location, delete_docs], [message], api_name="remove_source").then(
        on_refresh, [status], views, api_visibility="private"
    )
    run.click(on_run, [job], [message], api_name="run_now").then(
        on_refresh, [status], views, api_visibility="private"
    )
    retry.click(on_retry, [], [message], api_name="retry_notifications").then(
        on_refresh, [status], views, api_visibility="private"
    )
