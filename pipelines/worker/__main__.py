"""`python -m pipelines.worker`: the worker process's composition root (settings to loop)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from knowledge.db.connection import DatabaseUnavailableError, wait_for_database
from knowledge.db.jobs import JOB_KINDS
from knowledge.observability import configure_logging
from knowledge.services import Services
from knowledge.settings import Settings
from pipelines.worker.process import build_worker, parse_kinds, run_process


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.worker", description=__doc__)
    parser.add_argument(
        "--kinds", default="", help=f"comma-separated job kinds to run ({','.join(JOB_KINDS)})"
    )
    parser.add_argument("--worker-id", default=None, help="a stable name for this worker")
    parser.add_argument("--once", action="store_true", help="run at most one job, then exit")
    args = parser.parse_args(argv)
    try:
        kinds = parse_kinds(args.kinds)
    except ValueError as exc:
        parser.error(str(exc))
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    try:  # a container may start before its database
        wait_for_database(settings.sql_url, timeout_s=settings.db_connect_timeout_s)
    except DatabaseUnavailableError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(3) from exc
    worker = build_worker(Services.from_settings(settings), kinds=kinds, worker_id=args.worker_id)
    run_process(worker, settings, once=args.once)


if __name__ == "__main__":
    main()
