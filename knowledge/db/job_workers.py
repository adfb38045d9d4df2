"""Queries of the worker registry: workers announce themselves and heartbeat; alive = recent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from knowledge.db.connection import Database
from knowledge.db.document_models import utcnow
from knowledge.db.job_models import Worker

FORGET_AFTER = timedelta(days=7)


def register_worker(
    db: Database,
    worker_id: str,
    *,
    host: str,
    pid: int | None,
    kinds: Sequence[str],
    now: datetime | None = None,
) -> None:
    """Announce (or re-announce) a worker; it counts as alive while it heartbeats. Workers
    silent for FORGET_AFTER are forgotten (each start of a process is a new worker)."""
    now = now or utcnow()
    with db.session() as session:
        session.execute(delete(Worker).where(Worker.heartbeat_at < now - FORGET_AFTER))
        worker = session.get(Worker, worker_id) or Worker(id=worker_id)
        worker.host, worker.pid, worker.kinds = host, pid, list(kinds)
        worker.started_at, worker.heartbeat_at = now, now
        worker.current_job_id, worker.stopped_at = None, None
        session.add(worker)


def worker_heartbeat(db: Database, worker_id: str, *, now: datetime | None = None) -> None:
    with db.session() as session:
        session.execute(
            update(Worker).where(Worker.id == worker_id).values(heartbeat_at=now or utcnow())
        )


def worker_stopped(db: Database, worker_id: str, *, now: datetime | None = None) -> None:
    with db.session() as session:
        session.execute(
            update(Worker)
            .where(Worker.id == worker_id)
            .values(stopped_at=now or utcnow(), current_job_id=None)
        )


def live_workers(
    db: Database, *, within: timedelta = timedelta(seconds=60), now: datetime | None = None
) -> list[Worker]:
    """Workers that heartbeat within `within` and did not stop: empty means "no worker alive"."""
    cutoff = (now or utcnow()) - within
    with db.session() as session:
        return list(
            session.scalars(
                select(Worker)
                .where(Worker.heartbeat_at >= cutoff, Worker.stopped_at.is_(None))
                .order_by(Worker.id)
            )
        )


def list_workers(db: Database) -> list[Worker]:
    with db.session() as session:
        return list(session.scalars(select(Worker).order_by(Worker.heartbeat_at.desc())))
