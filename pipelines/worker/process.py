"""A worker process's wiring: settings to options, services to a worker, a background thread."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from knowledge.db import jobs
from knowledge.db.jobs import JOB_KINDS
from knowledge.observability import HealthServer, watch_job_states
from knowledge.services import Services
from knowledge.settings import Settings
from pipelines.worker.handlers import DEFAULT_HANDLERS
from pipelines.worker.loop import Worker, WorkerOptions


def options_from(settings: Settings) -> WorkerOptions:
    return WorkerOptions(
        heartbeat=timedelta(seconds=settings.worker_heartbeat_seconds),
        lease=timedelta(seconds=settings.worker_lease_seconds),
        poll=timedelta(seconds=settings.worker_poll_seconds),
        max_attempts=settings.worker_max_attempts,
    )


def build_worker(
    services: Services, *, kinds: Sequence[str] | None = None, worker_id: str | None = None
) -> Worker:
    """A worker on this process's services, for the kinds asked (default: the settings')."""
    settings = services.settings
    return Worker(
        services.db,
        DEFAULT_HANDLERS,
        kinds=list(kinds or settings.worker_kinds or JOB_KINDS),
        services=services,
        options=options_from(settings),
        worker_id=worker_id,
    )


def start_in_background(services: Services) -> tuple[Worker, threading.Thread]:
    """One worker thread in this process (`helpbot up`); `worker.stop()` ends it."""
    worker = build_worker(services)
    thread = threading.Thread(target=worker.run_forever, name="worker", daemon=True)
    thread.start()
    return worker, thread


def serve(worker: Worker, *, once: bool = False) -> None:
    """Run the worker in this (main) thread until SIGTERM or Ctrl-C, or for one job with
    `once`; a job running at the signal stops at its next step and goes back to the queue."""

    def _stop(_signum: int, _frame: Any) -> None:
        worker.stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not once:
            worker.run_forever()
            return
        try:
            worker.run_once()
        finally:
            jobs.worker_stopped(worker.db, worker.worker_id)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def parse_kinds(text: str) -> list[str] | None:
    """ "train,evaluate" -> ["train", "evaluate"]; empty -> None (the settings' kinds)."""
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in JOB_KINDS]
    if unknown:
        raise ValueError(f"unknown job kind(s) {', '.join(unknown)}: use {', '.join(JOB_KINDS)}")
    return kinds or None


def health_checks(worker: Worker) -> dict[str, Callable[[], None]]:
    """/readyz probes: the queue's database answers, and the loop has not been stopped."""

    def loop_running() -> None:
        if worker.stopping.is_set():
            raise RuntimeError("worker stopping")

    def database() -> None:
        jobs.state_counts(worker.db)

    return {"database": database, "worker": loop_running}


def start_health(worker: Worker, settings: Settings) -> HealthServer | None:
    """/healthz, /readyz and /metrics (with the queue's job states) when health_port is set."""
    watch_job_states(lambda: jobs.state_counts(worker.db))
    if not settings.health_port:
        return None
    return HealthServer(settings.health_host, settings.health_port, health_checks(worker)).start()


def run_process(worker: Worker, settings: Settings, *, once: bool = False) -> None:
    """A worker process's life: health endpoints (when configured), the loop, clean-up."""
    health = start_health(worker, settings)
    try:
        serve(worker, once=once)
    finally:
        if health is not None:
            health.stop()
