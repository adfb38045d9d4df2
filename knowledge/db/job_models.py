"""SQL tables of the job queue: jobs, workers, per-step metrics and logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.db.document_models import Base, utcnow

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
"""Every state a job can be in; the last three are final."""
FINAL_STATES = ("succeeded", "failed", "cancelled")


class Job(Base):
    """One unit of background work (dataset build, training, evaluation) and its outcome."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_kind", "state", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    """dataset_build | train | evaluate"""
    state: Mapped[str] = mapped_column(String(12), default="queued")
    """queued | running | succeeded | failed | cancelled"""
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What to run (dataset id, config overrides, version id...), as the enqueuer gave it."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What a succeeded job produced (dataset id, model version id, report summary)."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the job failed or was re-queued, in one sentence."""
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker_id: Mapped[str | None] = mapped_column(String(200))
    """The worker holding (or that last held) the job's lease."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Last lease renewal; a running job silent for longer than the lease is re-queued."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times a worker claimed the job."""
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Set by `request_cancel` on a running job; the worker stops at the next step."""


class JobMetric(Base):
    """One step's numbers of a running job (loss, eval loss, lr, tokens/s, memory)."""

    __tablename__ = "job_metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobLog(Base):
    """One log line of a job, readable while it runs."""

    __tablename__ = "job_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    level: Mapped[str] = mapped_column(String(10), default="INFO")
    message: Mapped[str] = mapped_column(Text)


class Worker(Base):
    """A worker process as it announced itself; alive while its heartbeat is recent."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The job kinds it runs (a GPU host may run only `train`)."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    current_job_id: Mapped[int | None] = mapped_column(Integer)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when the worker shut down cleanly."""
