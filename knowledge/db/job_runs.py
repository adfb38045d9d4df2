"""Queries of scheduler job runs: started, finished, asked for from the console, and due next."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from knowledge.db.scheduler_models import JobRun, apscheduler_jobs


def start_run(session: Session, *, job: str, trigger: str, holder: str, at: datetime) -> int:
    run = JobRun(
        job=job, trigger=trigger, holder=holder, started_at=at, result="running", counts={}
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    *,
    at: datetime,
    result: str,
    counts: Mapping[str, Any],
    error: str | None = None,
) -> None:
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(finished_at=at, result=result, counts=dict(counts), error=error)
    )


def record_run(
    session: Session,
    *,
    job: str,
    trigger: str,
    holder: str,
    at: datetime,
    result: str,
    error: str | None = None,
) -> None:
    """A run that did not execute (missed its grace time, or the previous one still runs)."""
    session.add(
        JobRun(
            job=job,
            trigger=trigger,
            holder=holder,
            started_at=at,
            finished_at=at,
            result=result,
            counts={},
            error=error,
        )
    )


def request_run(session: Session, *, job: str, requested_by: str, at: datetime) -> int:
    """Ask the scheduler leader to run a job now (the console's "run now"); the leader
    accepts the request on its next heartbeat and the run itself is recorded as usual."""
    run = JobRun(
        job=job,
        trigger="console",
        holder=requested_by,
        started_at=at,
        result="requested",
        counts={},
    )
    session.add(run)
    session.flush()
    return run.id


def take_run_requests(session: Session, *, holder: str, at: datetime) -> list[str]:
    """The jobs asked for since the last heartbeat, marked accepted by `holder`."""
    requests = list(
        session.scalars(select(JobRun).where(JobRun.result == "requested").order_by(JobRun.id))
    )
    for request in requests:
        request.result, request.finished_at = "accepted", at
        request.counts = {"accepted_by": holder}
    return list(dict.fromkeys(r.job for r in requests))


def scheduled_jobs(session: Session) -> dict[str, datetime | None]:
    """job id -> next run time (UTC), read from APScheduler's table without unpickling."""
    rows = session.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time))
    return {
        str(job_id): datetime.fromtimestamp(ts, UTC) if ts is not None else None
        for job_id, ts in rows
    }


def recent_runs(session: Session, *, job: str | None = None, limit: int = 50) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job:
        query = query.where(JobRun.job == job)
    return list(session.scalars(query))
