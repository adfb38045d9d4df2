"""`python -m pipelines.worker`: the worker process's composition root (settings to loop)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from knowledge.db import jobs
from knowledge.db.jobs import JOB_KINDS
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.worker", description=__doc__)
    parser.add_argument(
        "--kinds", default="", help=f"comma-separated job kinds to run ({','.join(JOB_KINDS)})"
    )
    parser.add_argument("--worker-id", default=None, help="a stable name for this worker")
    parser.add_argument("--once", action="store_true", help="run at most one job, then exit")
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] or None
    unknown = [k for k in kinds or () if k not in JOB_KINDS]
    if unknown:
        parser.error(f"unknown job kind(s) {', '.join(unknown)}: use {', '.join(JOB_KINDS)}")
    worker = build_worker(Services.from_settings(settings), kinds=kinds, worker_id=args.worker_id)

    def _stop(_signum: int, _frame: Any) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if not args.once:
        worker.run_forever()
        return
    try:
        worker.run_once()
    finally:
        jobs.worker_stopped(worker.db, worker.worker_id)


if __name__ == "__main__":
    main()
