"""The job queue from the command line: `helpbot jobs ...` and `helpbot worker`."""

from __future__ import annotations

import getpass
import json
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from helpbot.app import app, console, err, services
from knowledge.db import jobs
from knowledge.db.connection import DatabaseUnavailableError, wait_for_database
from knowledge.db.document_models import as_utc
from knowledge.db.job_models import Job
from knowledge.services import Services

jobs_app = typer.Typer(
    help="Background jobs: dataset builds, trainings, evaluations.", no_args_is_help=True
)
app.add_typer(jobs_app, name="jobs")


class State(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


def _when(moment: Any) -> str | None:
    return as_utc(moment).isoformat(timespec="seconds") if moment else None


def _row(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "created_by": job.created_by,
        "created_at": _when(job.created_at),
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
        "worker": job.worker_id,
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "payload": job.payload,
        "result": job.result,
        "error": job.error,
    }


@jobs_app.command("list")
def jobs_list(
    state: Annotated[State | None, typer.Option(help="Only jobs in this state.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Newest first: what is queued, running and done, and why a job failed."""
    svc = services()
    db = svc.db
    rows = [
        _row(j)
        for j in jobs.list_jobs(db, state=state.value if state else None, kind=kind, limit=limit)
    ]
    if as_json:
        console.print_json(data=rows)
        return
    if not rows:
        console.print("no jobs")
    else:
        table = Table("id", "kind", "state", "by", "created (UTC)", "worker", "tries", "note")
        for r in rows:
            note = r["error"] or ("cancel requested" if r["cancel_requested"] else "")
            table.add_row(
                str(r["id"]), r["kind"], r["state"], r["created_by"], r["created_at"] or "-",
                r["worker"] or "-", str(r["attempts"]), note,
            )  # fmt: skip
        console.print(table)
    if not jobs.live_workers(db, within=_lease(svc)):
        err.print("[yellow]no worker alive: start one with `helpbot worker` (or `helpbot up`).[/]")


def _lease(svc: Services) -> timedelta:
    """A worker silent for longer than a lease is not alive."""
    return timedelta(seconds=svc.settings.worker_lease_seconds)


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[int, typer.Argument(help="The job's id.")],
    logs: Annotated[int, typer.Option(help="Show this many last log lines.")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One job: payload, result or error, its per-step metrics and the end of its log."""
    db = services().db
    job = jobs.get_job(db, job_id)
    if job is None:
        err.print(f"[red]no job {job_id}[/]")
        raise typer.Exit(1)
    row = _row(job)
    points = jobs.metrics_for(db, job_id)
    lines = jobs.logs_for(db, job_id, limit=100_000)[-logs:] if logs > 0 else []
    if as_json:
        row["metrics"] = [{"step": p.step, **p.values} for p in points]
        row["log"] = [{"at": _when(x.at), "level": x.level, "message": x.message} for x in lines]
        console.print_json(data=row)
        return
    for name in ("id", "kind", "state", "created_by", "created_at", "started_at", "finished_at"):
        console.print(f"[bold]{name}[/]: {row[name] or '-'}")
    console.print(f"[bold]worker[/]: {row['worker'] or '-'} (attempts {row['attempts']})")
    console.print(f"[bold]payload[/]: {json.dumps(row['payload'])}")
    if row["result"] is not None:
        console.print(f"[bold]result[/]: {json.dumps(row['result'])}")
    if row["error"]:
        console.print(f"[bold red]error[/]: {row['error']}")
    if points:
        last = points[-1]
        summary = ", ".join(f"{k}={v}" for k, v in last.values.items() if k != "step")
        console.print(f"[bold]metrics[/]: {len(points)} steps; last (step {last.step}): {summary}")
    for line in lines:
        console.print(f"{_when(line.at)} {line.level} {line.message}", markup=False)


@jobs_app.command("cancel")
def jobs_cancel(job_id: Annotated[int, typer.Argument(help="The job's id.")]) -> None:
    """Cancel a job: a queued one at once, a running one at its next step."""
    try:
        state = jobs.request_cancel(services().db, job_id)
    except jobs.JobError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if state == "cancelled":
        console.print(f"job {job_id} cancelled")
    else:
        console.print(f"job {job_id} is {state}; it stops at its next step")


@jobs_app.command("enqueue")
def jobs_enqueue(
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(jobs.JOB_KINDS)}.")],
    payload: Annotated[
        str, typer.Option(help='JSON object, e.g. \'{"dataset_version_id": "ds-1"}\'.')
    ] = "{}",
    by: Annotated[str | None, typer.Option(help="Who queues it (default: you).")] = None,
) -> None:
    """Queue a job for the workers."""
    try:
        body = json.loads(payload)
    except json.JSONDecodeError as exc:
        err.print(f"[red]--payload is not JSON: {exc}[/]")
        raise typer.Exit(2) from exc
    try:
        job_id = jobs.enqueue(services().db, kind, body, created_by=by or getpass.getuser())
    except jobs.JobError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"job {job_id} queued ({kind})")


@jobs_app.command("workers")
def jobs_workers(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Workers that announced themselves: alive or not, kinds, the job each runs."""
    svc = services()
    alive = {w.id for w in jobs.live_workers(svc.db, within=_lease(svc))}
    rows: list[dict[str, Any]] = [
        {
            "id": w.id, "host": w.host, "pid": w.pid, "kinds": w.kinds, "alive": w.id in alive,
            "heartbeat_at": _when(w.heartbeat_at), "job": w.current_job_id,
        }
        for w in jobs.list_workers(svc.db)
    ]  # fmt: skip
    if as_json:
        console.print_json(data=rows)
        return
    if not alive:
        console.print("[yellow]no worker alive[/]")
    table = Table("id", "host", "kinds", "alive", "last heartbeat (UTC)", "job")
    for r in rows:
        table.add_row(
            r["id"], r["host"], ",".join(r["kinds"]), "yes" if r["alive"] else "no",
            r["heartbeat_at"] or "-", str(r["job"] or "-"),
        )  # fmt: skip
    console.print(table)


@app.command("worker")
def worker(
    kinds: Annotated[
        str, typer.Option(help=f"Comma-separated kinds to run ({','.join(jobs.JOB_KINDS)}).")
    ] = "",
    worker_id: Annotated[str | None, typer.Option(help="A stable name for this worker.")] = None,
    once: Annotated[bool, typer.Option(help="Run at most one job, then exit.")] = False,
) -> None:
    """Run a job worker (as `python -m pipelines.worker`): claims queued jobs until stopped."""
    from pipelines.worker.process import build_worker, parse_kinds, run_process

    try:
        wanted = parse_kinds(kinds)
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    svc = services()
    try:  # a container may start before its database
        wait_for_database(svc.settings.sql_url, timeout_s=svc.settings.db_connect_timeout_s)
    except DatabaseUnavailableError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(3) from exc
    loop = build_worker(svc, kinds=wanted, worker_id=worker_id)
    console.print(f"worker {loop.worker_id} runs {', '.join(loop.kinds)}; Ctrl-C stops it")
    run_process(loop, svc.settings, once=once)
