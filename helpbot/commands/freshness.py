"""Freshness commands: watched sources, re-indexing by hand, the scheduler in the foreground."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from helpbot.app import app, console, err, services
from knowledge.db import watched_sources
from pipelines.jobs import JobContext, RunOutcome, run_job
from pipelines.reindex import ReindexReport
from pipelines.scheduler import FreshnessScheduler, default_holder
from pipelines.sources import classify

sources_app = typer.Typer(
    help="Folders and URLs the scheduler keeps indexed.", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")

NO_SOURCES = "no watched sources: add one with `helpbot sources add PATH_OR_URL`"


def _location(path_or_url: str) -> str:
    """How the location is stored: URLs as given, folders as absolute paths."""
    try:
        return classify(path_or_url)[1]
    except ValueError:
        return path_or_url  # a folder that is gone can still be removed by its stored path


@sources_app.command("add")
def sources_add(
    path_or_url: Annotated[str, typer.Argument(help="A folder or an http(s) URL of one document.")],
) -> None:
    """Watch a folder (synced drive, git checkout) or a URL; the next re-index indexes it."""
    try:
        kind, location = classify(path_or_url)
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    svc = services()
    with svc.db.session() as session:
        if watched_sources.source_at(session, location):
            err.print(f"[yellow]already watched:[/] {location}")
            raise typer.Exit(1)
        watched_sources.add_source(session, location=location, kind=kind, added_by="cli")
    minutes = svc.settings.reindex_interval_minutes
    console.print(
        f"watching {kind} {location}: checked every {minutes} min "
        "(run `helpbot reindex --stale` to index it now)"
    )


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every watched source with its last check and error."""
    with services().db.session() as session:
        files = watched_sources.source_file_counts(session)
        rows: list[dict[str, Any]] = [
            {
                "location": s.location,
                "kind": s.kind,
                "enabled": s.enabled,
                "files": files.get(s.id, 0),
                "status": s.status,
                "checked_at": s.checked_at.isoformat(timespec="seconds") if s.checked_at else None,
                "error": s.last_error,
            }
            for s in watched_sources.list_sources(session)
        ]
    if as_json:
        console.print_json(data=rows)
        return
    if not rows:
        console.print(NO_SOURCES)
        return
    table = Table("location", "kind", "files", "status", "checked (UTC)", "error")
    for row in rows:
        table.add_row(
            row["location"],
            row["kind"],
            str(row["files"]),
            row["status"],
            row["checked_at"] or "-",
            (row["error"] or "")[:60],
        )
    console.print(table)


@sources_app.command("remove")
def sources_remove(
    path_or_url: Annotated[str, typer.Argument(help="The folder or URL as added.")],
    delete_documents: Annotated[
        bool, typer.Option(help="Also delete the documents it brought in (stop serving them).")
    ] = False,
) -> None:
    """Stop watching a source; its documents stay served unless --delete-documents."""
    svc = services()
    with svc.db.session() as session:
        source = watched_sources.source_at(session, _location(path_or_url))
        if source is None:
            err.print(f"[red]not a watched source:[/] {path_or_url}")
            raise typer.Exit(1)
        location = source.location
        document_ids = watched_sources.remove_source(session, source)
    removed = 0
    if delete_documents and document_ids:
        ingestor = svc.ingestor(actor="cli")
        for document_id in document_ids:
            ingestor.delete(document_id, actor="cli")
            removed += 1
    kept = "" if delete_documents else f" ({len(document_ids)} documents stay served)"
    console.print(
        f"stopped watching {location}{kept}" + (f"; {removed} deleted" if removed else "")
    )


@app.command()
def reindex(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild the whole index beside the live one, then swap.")
    ] = False,
    stale: Annotated[
        bool,
        typer.Option(
            "--stale",
            help="Only what is out of date by size/mtime or ETag/Last-Modified (the scheduled "
            "check, now); without it every file is re-hashed.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check every watched source now and index what changed; the run is recorded."""
    svc = services()
    context = JobContext(svc, holder=f"cli:{default_holder()}")
    outcome = run_job(context, "rebuild" if full else "reindex", trigger="manual", deep=not stale)
    if as_json:
        console.print_json(data=_json(outcome))
    else:
        _print(outcome)
    if outcome.result != "ok":
        raise typer.Exit(1)


def _json(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "run": outcome.run_id,
        "result": outcome.result,
        "counts": outcome.counts,
        "error": outcome.error,
    }


def _print(outcome: RunOutcome) -> None:
    if outcome.result in ("failed", "skipped"):
        err.print(f"[red]re-index {outcome.result}:[/] {outcome.error}")
        return
    report = outcome.report
    assert isinstance(report, ReindexReport)
    if report.rebuild is not None:
        r = report.rebuild
        console.print(
            f"rebuilt {r.collection}: {r.documents} documents ({r.reparsed} re-parsed, "
            f"{r.reembedded} from stored text), {r.chunks} chunks in {r.seconds:.1f}s"
        )
        for document_id, error in r.not_rebuilt.items():
            err.print(f"[red]✗ {document_id}[/]: {error}")
    if not report.sources:
        console.print(NO_SOURCES)
    for s in report.sources:
        line = (
            f"{s.location}: {s.new} new, {s.changed} changed, {s.removed} removed, "
            f"{s.unchanged} unchanged, {s.failed} failed"
        )
        console.print(f"[red]✗ {line}[/] — {s.error}" if s.status != "ok" else f"✓ {line}")


@app.command()
def scheduler() -> None:
    """Run the freshness scheduler in the foreground (one leader among all that run)."""
    svc = services()
    runner = FreshnessScheduler(svc)
    console.print(
        f"scheduler {runner.holder}: re-index every "
        f"{svc.settings.reindex_interval_minutes} min, review check daily at "
        f"{svc.settings.review_check_hour:02d}:00 UTC (Ctrl-C to stop)"
    )
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        svc.close()
