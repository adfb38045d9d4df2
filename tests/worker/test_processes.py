"""Two real worker processes on one database: a claim race, a cancel from another process, and
a worker killed mid-job (SIGKILL) whose job another worker re-queues after the lease."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from knowledge.db import jobs
from knowledge.db.connection import Database
from tests.worker import fakes

SPAWN = multiprocessing.get_context("spawn")


def _wait_for(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_two_processes_racing_for_jobs_never_take_one_twice(db_url: str) -> None:
    db = Database(db_url)
    queued = [jobs.enqueue(db, "evaluate", {"n": n}, created_by="ana") for n in range(40)]
    go, out = SPAWN.Event(), SPAWN.Queue()
    racers = [
        SPAWN.Process(target=fakes.claim_until_empty, args=(db_url, f"p{i}", go, out))
        for i in range(2)
    ]
    for racer in racers:
        racer.start()
    time.sleep(0.5)  # both processes import and connect before the start signal
    go.set()
    claims = dict(out.get(timeout=120) for _ in racers)
    for racer in racers:
        racer.join(30)
        assert racer.exitcode == 0
    every = claims["p0"] + claims["p1"]
    assert sorted(every) == queued, "each job claimed exactly once"
    for job in jobs.list_jobs(db):
        assert job.state == "succeeded" and job.attempts == 1
        assert job.result == {"by": job.worker_id}
    db.dispose()


def test_a_cancel_from_another_process_stops_the_running_job(db_url: str) -> None:
    db = Database(db_url)
    job_id = jobs.enqueue(db, "train", {"steps": 100_000, "sleep": 0.01}, created_by="ana")
    worker = SPAWN.Process(target=fakes.run_worker, args=(db_url, "w1", 60.0, 120.0))
    worker.start()
    try:
        _wait_for(lambda: len(jobs.metrics_for(db, job_id)) >= 3)
        assert jobs.request_cancel(db, job_id) == "running"
        _wait_for(lambda: jobs.get_job(db, job_id).state == "cancelled")  # type: ignore[union-attr]
        assert [w.id for w in jobs.live_workers(db)] == ["w1"], "the worker lives on"
    finally:
        worker.terminate()
        worker.join(30)
    db.dispose()


def test_a_killed_workers_job_is_requeued_and_finished_by_the_other(db_url: str) -> None:
    db = Database(db_url)
    job_id = jobs.enqueue(db, "train", {"steps": 100_000, "sleep": 0.01}, created_by="ana")
    doomed = SPAWN.Process(target=fakes.run_worker, args=(db_url, "doomed", 1.5, 120.0))
    doomed.start()
    _wait_for(lambda: len(jobs.metrics_for(db, job_id)) >= 3)
    doomed.kill()  # SIGKILL: no clean-up, the lease just stops being renewed
    doomed.join(30)
    job = jobs.get_job(db, job_id)
    assert job is not None and (job.state, job.worker_id) == ("running", "doomed")
    # A short job this time, so the survivor finishes it.
    with db.session() as session:
        from knowledge.db.job_models import Job

        session.get(Job, job_id).payload = {"steps": 3}  # type: ignore[union-attr]
    survivor = SPAWN.Process(target=fakes.run_worker, args=(db_url, "survivor", 1.5, 120.0))
    survivor.start()
    try:
        _wait_for(lambda: jobs.get_job(db, job_id).state == "succeeded")  # type: ignore[union-attr]
    finally:
        survivor.terminate()
        survivor.join(30)
    job = jobs.get_job(db, job_id)
    assert job is not None and (job.worker_id, job.attempts) == ("survivor", 2)
    warnings = [line.message for line in jobs.logs_for(db, job_id) if line.level == "WARNING"]
    assert any("worker doomed stopped renewing its lease" in m for m in warnings)
    db.dispose()
