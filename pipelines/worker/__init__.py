"""The job worker: `python -m pipelines.worker` runs queued builds, trainings, evaluations."""

from __future__ import annotations

from pipelines.worker.loop import (
    Handler,
    JobRun,
    JobStopped,
    Worker,
    WorkerOptions,
    default_worker_id,
    failure_reason,
)

__all__ = [
    "Handler",
    "JobRun",
    "JobStopped",
    "Worker",
    "WorkerOptions",
    "default_worker_id",
    "failure_reason",
]
