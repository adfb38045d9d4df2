"""The worker loop with fake handlers: results, crashes, NaN loss, cancel at the next step,
per-step metrics readable while the job runs, kinds, the job log, a shutdown re-queues."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from knowledge.db import jobs
from knowledge.db.connection import Database
from pipelines.worker import JobRun, Worker
from tests.worker import fakes


def _wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _state(db: Database, job_id: int) -> str:
    job = jobs.get_job(db, job_id)
    assert job is not None
    return job.state


def test_a_job_runs_and_its_result_is_stored(db: Database) -> None:
    job_id = jobs.enqueue(db, "evaluate", {"version_id": "v1"}, created_by="ana")
    worker = fakes.worker(db, "w1")
    assert worker.run_once()
    assert not worker.run_once(), "nothing left"
    job = jobs.get_job(db, job_id)
    assert job is not None and job.state == "succeeded"
    assert job.result == {"echo": {"version_id": "v1"}, "attempt": 1}
    assert [w.id for w in jobs.live_workers(db)] == ["w1"]


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (fakes.crash, "RuntimeError: the disk is full"),
        (fakes.nan_loss, "TrainingError: loss became NaN at step 2; lower the learning rate"),
    ],
)
def test_a_crashing_job_fails_with_the_reason_and_the_worker_goes_on(
    db: Database, handler: Any, reason: str
) -> None:
    bad = jobs.enqueue(db, "train", {}, created_by="ana")
    good = jobs.enqueue(db, "evaluate", {}, created_by="ana")
    worker = fakes.worker(db, "w1", handlers={**fakes.HANDLERS, "train": handler})
    assert worker.run_once() and worker.run_once()
    failed = jobs.get_job(db, bad)
    assert failed is not None and (failed.state, failed.error) == ("failed", reason)
    assert _state(db, good) == "succeeded"
    trace = [line for line in jobs.logs_for(db, bad) if line.level == "ERROR"]
    assert trace and "Traceback" in trace[0].message


def test_nan_metrics_are_kept_as_nulls(db: Database) -> None:
    job_id = jobs.enqueue(db, "train", {}, created_by="ana")
    fakes.worker(db, "w1", handlers={**fakes.HANDLERS, "train": fakes.nan_loss}).run_once()
    assert [p.values["loss"] for p in jobs.metrics_for(db, job_id)] == [2.5, None]


def test_metrics_are_readable_while_the_job_runs_and_cancel_stops_it(db: Database) -> None:
    job_id = jobs.enqueue(db, "train", {"steps": 2000, "sleep": 0.01}, created_by="ana")
    worker = fakes.worker(db, "w1", heartbeat=0.05)
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    reader = Database(db.url)  # another connection, as the console would read
    _wait_for(lambda: len(jobs.metrics_for(reader, job_id)) >= 3)
    assert _state(reader, job_id) == "running"
    _wait_for(lambda: [w.current_job_id for w in jobs.live_workers(reader)] == [job_id])
    assert jobs.request_cancel(reader, job_id) == "running"
    thread.join(20)
    assert not thread.is_alive()
    job = jobs.get_job(reader, job_id)
    assert job is not None and job.state == "cancelled"
    steps = [p.step for p in jobs.metrics_for(reader, job_id)]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) < 2000
    assert any("cancelled" in line.message for line in jobs.logs_for(reader, job_id))
    assert [w.current_job_id for w in jobs.live_workers(reader)] == [None]
    reader.dispose()


def test_a_worker_runs_only_its_kinds(db: Database) -> None:
    train = jobs.enqueue(db, "train", {"steps": 1}, created_by="ana")
    build = jobs.enqueue(db, "dataset_build", {}, created_by="ana")
    gpu = fakes.worker(db, "gpu", kinds=["train"])
    assert gpu.run_once() and not gpu.run_once()
    assert (_state(db, train), _state(db, build)) == ("succeeded", "queued")
    with pytest.raises(ValueError, match="no handler for evaluate"):
        Worker(db, {"train": fakes.steps}, kinds=["evaluate"])


def test_the_jobs_own_log_lines_reach_the_job_log(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # as the process's log level allows (HELPBOT_LOG_LEVEL)

    def chatty(run: JobRun) -> dict[str, Any]:
        logging.getLogger("pipelines.training.train").info("epoch %d done", 1)
        run.log("checkpoint written")
        return {}

    job_id = jobs.enqueue(db, "train", {}, created_by="ana")
    fakes.worker(db, "w1", handlers={**fakes.HANDLERS, "train": chatty}).run_once()
    messages = [line.message for line in jobs.logs_for(db, job_id)]
    assert "pipelines.training.train: epoch 1 done" in messages
    assert "checkpoint written" in messages


def test_stopping_the_worker_puts_its_job_back_in_the_queue(db: Database) -> None:
    job_id = jobs.enqueue(db, "train", {"steps": 2000, "sleep": 0.01}, created_by="ana")
    worker = fakes.worker(db, "w1")
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    _wait_for(lambda: len(jobs.metrics_for(db, job_id)) >= 2)
    worker.stop()
    thread.join(20)
    job = jobs.get_job(db, job_id)
    assert job is not None and (job.state, job.worker_id) == ("queued", None)
    assert job.error == "worker w1 stopped"
    assert job.attempts == 0, "a clean hand-back is not a failed attempt"
    assert jobs.live_workers(db) == [], "a stopped worker is not alive"
    other = fakes.worker(db, "w2", handlers={**fakes.HANDLERS, "train": fakes.succeed})
    assert other.run_once() and _state(db, job_id) == "succeeded"
    assert (jobs.get_job(db, job_id).result or {})["attempt"] == 1  # type: ignore[union-attr]


def test_a_job_whose_lease_was_taken_over_is_not_finished_twice(db: Database) -> None:
    job_id = jobs.enqueue(db, "train", {"steps": 2000, "sleep": 0.01}, created_by="ana")
    slow = fakes.worker(db, "w1", heartbeat=0.05)
    thread = threading.Thread(target=slow.run_once)
    thread.start()
    _wait_for(lambda: len(jobs.metrics_for(db, job_id)) >= 2)
    jobs.release(db, job_id, "w1", "taken over by the test")  # as an expired lease would be
    thread.join(20)
    assert not thread.is_alive(), "the worker noticed it lost the lease and stopped"
    assert _state(db, job_id) == "queued"
