"""One process of a multi-GPU training job, started by the worker through `accelerate launch`.

    accelerate launch --num_processes 4 -m pipelines.worker.rank --job-id 7 --dataset DIR \
        --output DIR --base-model MODEL --config CONFIG.yaml

The database comes from HELPBOT_DATABASE_URL (never the command line: `ps` shows it). Rank 0
writes the job's per-step metrics and log lines, and the adapter; the worker that started the
launch holds the job's lease and stops every rank when the job is cancelled.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from knowledge.db.connection import Database
from knowledge.observability import configure_logging
from knowledge.settings import Settings
from pipelines.worker.loop import JobLogHandler, JobRun

FAILED_PREFIX = "training failed: "
"""The line a failing rank prints; the worker reads the reason after it."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelines.worker.rank", description=__doc__)
    parser.add_argument("--job-id", type=int, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--base-model", required=True)
    parser.add_argument("--config", type=Path, required=True, help="the job's config YAML")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    from pipelines.training import TrainingError, load_config, train_adapter
    from pipelines.training.train import is_main_process

    db = Database(settings.sql_url)
    run = JobRun(args.job_id, "train", {}, "worker", 0, db)
    main_rank = is_main_process()
    if main_rank:
        logging.getLogger().addHandler(JobLogHandler(run, threading.get_ident()))
    try:
        train_adapter(
            load_config(args.config),
            args.dataset,
            args.output,
            base_model=args.base_model,
            on_step=run.on_step if main_rank else None,
        )
    except (TrainingError, ValueError) as error:
        print(f"{FAILED_PREFIX}{type(error).__name__}: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
