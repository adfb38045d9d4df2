"""Queries of the job queue: enqueue, atomic claim, leases, cancel, metrics, logs, workers.

Every function opens its own short unit of work on `db`, so a worker's heartbeat thread and
its job can call them at once, and whatever they write is readable by other processes (the
console's live curves) as soon as the call returns.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from knowledge.db.connection import Database
from knowledge.db.document_models import as_utc, utcnow
from knowledge.db.job_models import FINAL_STATES, Job, JobLog, JobMetric, Worker
from knowledge.db.job_workers import list_workers as list_workers  # re-exported: one queue API
from knowledge.db.job_workers import live_workers as live_workers
from knowledge.db.job_workers import register_worker as register_worker
from knowledge.db.job_workers import worker_heartbeat as worker_heartbeat
from knowledge.db.job_workers import worker_stopped as worker_stopped

JOB_KINDS = ("dataset_build", "train", "evaluate")
"""The kinds a worker knows how to run."""
MAX_ERROR_CHARS = 4000
LeaseStatus = Literal["running", "cancel", "lost"]


class JobError(ValueError):
    """A request the queue refuses (unknown kind, unknown job, cancelling a finished job)."""


# --- enqueue and read ---------------------------------------------------------------------
def enqueue(
    db: Database,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    created_by: str,
    kinds: Sequence[str] = JOB_KINDS,
) -> int:
    """Queue a job; its id. Unknown kinds and payloads that are not JSON objects are refused."""
    if kind not in kinds:
        raise JobError(f"unknown job kind {kind!r}: use one of {', '.join(kinds)}")
    if payload is not None and not isinstance(payload, Mapping):
        raise JobError("a job payload must be a JSON object (a mapping of names to values)")
    body = dict(payload or {})
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise JobError(f"the job payload is not valid JSON: {exc}") from exc
    if not created_by.strip():
        raise JobError("say who queues the job (created_by)")
    with db.session() as session:
        job = Job(kind=kind, state="queued", payload=body, created_by=created_by, attempts=0)
        session.add(job)
        session.flush()
        return job.id


def get_job(db: Database, job_id: int) -> Job | None:
    with db.session() as session:
        return session.get(Job, job_id)


def list_jobs(
    db: Database, *, state: str | None = None, kind: str | None = None, limit: int = 100
) -> list[Job]:
    """Newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    with db.session() as session:
        return list(session.scalars(query))


def state_counts(db: Database) -> dict[str, int]:
    """state -> number of jobs (queue depth and outcomes, for /metrics and the console)."""
    with db.session() as session:
        rows = session.execute(select(Job.state, func.count()).group_by(Job.state))
        return {str(state): int(count) for state, count in rows}


# --- claim and lease ----------------------------------------------------------------------
def claim(
    db: Database, worker_id: str, kinds: Iterable[str], *, now: datetime | None = None
) -> Job | None:
    """Take the oldest queued job of `kinds` for `worker_id`; None when there is none.

    One UPDATE whose WHERE picks the row: on PostgreSQL the sub-select locks it with
    FOR UPDATE SKIP LOCKED, so concurrent claimers each get a different job without waiting;
    SQLite serialises writers, and the outer `state = 'queued'` re-check means a row another
    claimer took first is never taken twice.
    """
    wanted = list(kinds)
    if not wanted:
        return None
    now = now or utcnow()
    queued = aliased(Job)  # the sub-select reads its own copy of the table, not the outer row
    candidate = (
        select(queued.id)
        .where(queued.state == "queued", queued.kind.in_(wanted))
        .order_by(queued.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with db.session() as session:
        job = session.scalars(
            update(Job)
            .where(Job.id == candidate, Job.state == "queued")
            .values(
                state="running",
                worker_id=worker_id,
                started_at=now,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                error=None,
            )
            .returning(Job)
            .execution_options(populate_existing=True)
        ).one_or_none()
        # The worker's row names this job from its first heartbeat (one statement per claim).
        return job


def heartbeat(
    db: Database, job_id: int, worker_id: str, *, now: datetime | None = None
) -> LeaseStatus:
    """Renew the job's lease. "cancel": an admin asked it to stop; "lost": the job is no longer
    this worker's (its lease expired and it was re-queued, or it was finished elsewhere)."""
    now = now or utcnow()
    with db.session() as session:
        renewed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == "running")
            .values(heartbeat_at=now)
            .returning(Job.cancel_requested)
            .execution_options(synchronize_session=False)
        ).first()
        session.execute(
            update(Worker)
            .where(Worker.id == worker_id)
            .values(heartbeat_at=now, current_job_id=job_id if renewed is not None else None)
        )
    if renewed is None:
        return "lost"
    return "cancel" if renewed[0] else "running"


def _settle(
    db: Database,
    job_id: int,
    worker_id: str,
    now: datetime | None,
    **values: Any,
) -> bool:
    """Move a running job of `worker_id` to a final state; False when it was not theirs."""
    with db.session() as session:
        done = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == "running")
            .values(finished_at=now or utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Worker)
            .where(Worker.id == worker_id, Worker.current_job_id == job_id)
            .values(current_job_id=None)
        )
        return getattr(done, "rowcount", 0) == 1


def finish(
    db: Database,
    job_id: int,
    worker_id: str,
    result: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """The job succeeded with `result`."""
    return _settle(db, job_id, worker_id, now, state="succeeded", result=dict(result or {}))


def fail(
    db: Database, job_id: int, worker_id: str, error: str, *, now: datetime | None = None
) -> bool:
    """The job failed; `error` says why in a sentence."""
    return _settle(db, job_id, worker_id, now, state="failed", error=error[:MAX_ERROR_CHARS])


def mark_cancelled(
    db: Database,
    job_id: int,
    worker_id: str,
    result: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """The worker stopped the job because it was asked to."""
    return _settle(db, job_id, worker_id, now, state="cancelled", result=dict(result or {}) or None)


def release(db: Database, job_id: int, worker_id: str, reason: str) -> bool:
    """Put a running job back in the queue at once (its worker is shutting down); a clean
    hand-back does not count as one of the job's attempts."""
    with db.session() as session:
        done = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == "running")
            .values(
                state="queued",
                worker_id=None,
                heartbeat_at=None,
                error=reason,
                attempts=Job.attempts - 1,  # claimed, hence at least 1
            )
            .execution_options(synchronize_session=False)
        )
        return getattr(done, "rowcount", 0) == 1


def request_cancel(db: Database, job_id: int, *, now: datetime | None = None) -> str:
    """Cancel a job: a queued one at once, a running one at its next step. The new state."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobError(f"no job {job_id}")
        if job.state in FINAL_STATES:
            raise JobError(f"job {job_id} already {job.state}; nothing to cancel")
    with db.session() as session:
        queued = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued")
            .values(state="cancelled", cancel_requested=True, finished_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        if getattr(queued, "rowcount", 0) == 1:
            return "cancelled"
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "running")
            .values(cancel_requested=True)
            .execution_options(synchronize_session=False)
        )
        job = session.get(Job, job_id, populate_existing=True)
        return job.state if job else "cancelled"


@dataclass(frozen=True)
class Reaped:
    """A running job whose worker stopped renewing its lease, and what became of it."""

    job_id: int
    worker_id: str | None
    state: str
    """queued (claimable again) | failed | cancelled"""
    reason: str


def requeue_expired(
    db: Database,
    *,
    lease: timedelta,
    max_attempts: int = 2,
    now: datetime | None = None,
) -> list[Reaped]:
    """Jobs whose lease ran out (worker killed, machine gone): back in the queue while they have
    attempts left, else failed with the reason; a job asked to cancel is cancelled instead.
    Each row changes under a conditional UPDATE, so two reapers never handle one job twice."""
    now = now or utcnow()
    cutoff = now - lease
    with db.session() as session:
        expired = list(
            session.execute(
                select(Job.id, Job.worker_id, Job.attempts, Job.cancel_requested, Job.heartbeat_at)
                .where(Job.state == "running", Job.heartbeat_at < cutoff)
                .order_by(Job.id)
            )
        )
    reaped: list[Reaped] = []
    for job_id, worker_id, attempts, cancel, beat in expired:
        silent = f"worker {worker_id} stopped renewing its lease (last at {_stamp(beat)})"
        if cancel:
            values: dict[str, Any] = {"state": "cancelled", "finished_at": now}
            reason = f"{silent}; the job had been asked to cancel"
        elif attempts < max_attempts:
            values = {"state": "queued", "worker_id": None, "heartbeat_at": None}
            reason = f"{silent} on attempt {attempts} of {max_attempts}; re-queued"
        else:
            values = {"state": "failed", "finished_at": now}
            reason = f"{silent} on attempt {attempts} of {max_attempts}; not retried"
        with db.session() as session:
            done = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == "running", Job.heartbeat_at < cutoff)
                .values(error=reason, **values)
                .execution_options(synchronize_session=False)
            )
            if getattr(done, "rowcount", 0) != 1:
                continue
            session.add(JobLog(job_id=job_id, at=now, level="WARNING", message=reason))
        reaped.append(Reaped(job_id, worker_id, str(values["state"]), reason))
    return reaped


def _stamp(moment: datetime | None) -> str:
    return as_utc(moment).isoformat(timespec="seconds") if moment else "never"


# --- metrics and logs ---------------------------------------------------------------------
@dataclass(frozen=True)
class MetricPoint:
    step: int
    values: dict[str, Any]
    at: datetime


def record_metrics(
    db: Database, job_id: int, step: int, values: Mapping[str, Any], *, now: datetime | None = None
) -> None:
    """One step's numbers; non-finite floats are stored as None (JSON has no NaN)."""
    clean = {str(k): _json_number(v) for k, v in values.items()}
    with db.session() as session:
        session.add(JobMetric(job_id=job_id, step=int(step), values=clean, at=now or utcnow()))


def _json_number(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    try:
        number = float(value)  # numpy and torch scalars too
    except (TypeError, ValueError):
        return str(value)
    return number if math.isfinite(number) else None


def metrics_for(db: Database, job_id: int, *, after_step: int | None = None) -> list[MetricPoint]:
    """A job's metric rows in step order (those after `after_step` to poll for new ones)."""
    query = select(JobMetric).where(JobMetric.job_id == job_id)
    if after_step is not None:
        query = query.where(JobMetric.step > after_step)
    with db.session() as session:
        rows = session.scalars(query.order_by(JobMetric.step, JobMetric.id))
        return [MetricPoint(r.step, dict(r.values), as_utc(r.at)) for r in rows]


def append_log(
    db: Database, job_id: int, message: str, *, level: str = "INFO", now: datetime | None = None
) -> None:
    with db.session() as session:
        session.add(
            JobLog(job_id=job_id, at=now or utcnow(), level=level[:10], message=message[:10000])
        )


def logs_for(db: Database, job_id: int, *, after_id: int = 0, limit: int = 1000) -> list[JobLog]:
    """A job's log lines, oldest first; pass the last id seen to follow a running job."""
    with db.session() as session:
        return list(
            session.scalars(
                select(JobLog)
                .where(JobLog.job_id == job_id, JobLog.id > after_id)
                .order_by(JobLog.id)
                .limit(limit)
            )
        )
