"""Job handlers and worker entry points for tests: importable by spawned worker processes."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from knowledge.db import jobs
from knowledge.db.connection import Database
from pipelines.worker import JobRun, JobStopped, Worker, WorkerOptions


class TrainingError(ValueError):
    """Stands in for pipelines.training's error: a sentence saying why training failed."""


def succeed(run: JobRun) -> dict[str, Any]:
    return {"echo": run.payload, "attempt": run.attempt}


def crash(run: JobRun) -> dict[str, Any]:
    raise RuntimeError("the disk is full")


def nan_loss(run: JobRun) -> dict[str, Any]:
    run.on_step({"step": 1, "loss": 2.5})
    run.on_step({"step": 2, "loss": float("nan")})
    raise TrainingError("loss became NaN at step 2; lower the learning rate")


def steps(run: JobRun) -> dict[str, Any]:
    """A trainer's shape: `payload["steps"]` steps of `payload["sleep"]` s, stopping when told."""
    total, pause = int(run.payload.get("steps", 5)), float(run.payload.get("sleep", 0.0))
    for step in range(1, total + 1):
        if run.should_stop():
            raise JobStopped(f"stopped before step {step}")
        time.sleep(pause)
        run.on_step({"step": step, "loss": 1.0 / step, "learning_rate": 1e-4, "tokens_per_s": 9.5})
    return {"steps": total}


HANDLERS = {"dataset_build": succeed, "train": steps, "evaluate": succeed}


def options(lease: float = 60.0, heartbeat: float = 0.2, poll: float = 0.05) -> WorkerOptions:
    return WorkerOptions(
        heartbeat=timedelta(seconds=heartbeat),
        lease=timedelta(seconds=lease),
        poll=timedelta(seconds=poll),
        max_attempts=2,
    )


def worker(
    db: Database,
    worker_id: str,
    *,
    handlers: Mapping[str, Any] | None = None,
    kinds: list[str] | None = None,
    **timing: float,
) -> Worker:
    return Worker(
        db, handlers or HANDLERS, kinds=kinds, options=options(**timing), worker_id=worker_id
    )


# --- process entry points (multiprocessing "spawn" targets) ------------------------------
def claim_until_empty(url: str, worker_id: str, go: Any, out: Any) -> None:
    """Wait for `go`, then claim and finish jobs until none is left; send the ids claimed."""
    db = Database(url)
    jobs.register_worker(db, worker_id, host="test", pid=None, kinds=["evaluate"])
    go.wait()
    claimed: list[int] = []
    while (job := jobs.claim(db, worker_id, ["evaluate"])) is not None:
        claimed.append(job.id)
        assert jobs.finish(db, job.id, worker_id, {"by": worker_id})
    out.put((worker_id, claimed))
    db.dispose()


def run_worker(url: str, worker_id: str, lease: float, seconds: float) -> None:
    """A real worker loop for `seconds` (or until killed)."""
    db = Database(url)
    loop = worker(db, worker_id, lease=lease)
    stopper = __import__("threading").Timer(seconds, loop.stop)
    stopper.start()
    loop.run_forever()
    stopper.cancel()
    db.dispose()
