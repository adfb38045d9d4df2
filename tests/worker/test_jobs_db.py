"""The job queue's queries: migration, enqueue, claim by kind, leases, cancel, metrics, workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from knowledge.db import jobs
from knowledge.db.connection import Database, upgrade_database
from knowledge.db.document_models import Base
from tests.pipelines.test_migration import downgrade_database

JOB_TABLES = {"jobs", "job_metrics", "job_logs", "workers"}
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def _tables_in(diff: object) -> set[str]:
    found: set[str] = set()

    def visit(part: object) -> None:
        if isinstance(part, list | tuple):
            for item in part:
                visit(item)
        elif isinstance(part, str):
            found.add(part)
        else:
            table = getattr(part, "table", None)
            found.add(str(getattr(table, "name", None) or getattr(part, "name", "")))

    visit(diff)
    return found & JOB_TABLES


def test_the_migration_matches_the_models(db: Database) -> None:
    assert set(inspect(db.engine).get_table_names()) >= JOB_TABLES
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if _tables_in(d)] == []


def test_0007_goes_back_and_forth(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    db.upgrade()
    downgrade_database(db.engine, "0006")
    assert not JOB_TABLES & set(inspect(db.engine).get_table_names())
    upgrade_database(db.engine, "0007")
    assert set(inspect(db.engine).get_table_names()) >= JOB_TABLES
    db.dispose()


def test_claim_takes_the_oldest_job_of_the_kinds_asked(db: Database) -> None:
    build = jobs.enqueue(db, "dataset_build", {"n": 1}, created_by="ana")
    train = jobs.enqueue(db, "train", {"dataset_version_id": "d1"}, created_by="ana")
    later = jobs.enqueue(db, "train", {}, created_by="ana")
    assert jobs.claim(db, "gpu-1", []) is None
    job = jobs.claim(db, "gpu-1", ["train"], now=T0)
    assert job is not None and job.id == train
    assert (job.state, job.worker_id, job.attempts, job.payload) == (
        "running",
        "gpu-1",
        1,
        {"dataset_version_id": "d1"},
    )
    assert jobs.claim(db, "cpu-1", ["dataset_build", "evaluate"]).id == build  # type: ignore[union-attr]
    assert jobs.claim(db, "cpu-1", ["dataset_build", "evaluate"]) is None
    assert jobs.claim(db, "gpu-1", ["train"]).id == later  # type: ignore[union-attr]
    assert jobs.state_counts(db) == {"running": 3}


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("fine_tune", {}, "unknown job kind 'fine_tune'"),
        ("train", ["not", "a", "mapping"], "must be a JSON object"),
        ("train", {"lr": float("nan")}, "not valid JSON"),
        ("train", {"path": Path("/x")}, "not valid JSON"),
    ],
)
def test_bad_jobs_are_refused_and_nothing_is_queued(
    db: Database, kind: str, payload: object, message: str
) -> None:
    with pytest.raises(jobs.JobError, match=message):
        jobs.enqueue(db, kind, payload, created_by="ana")  # type: ignore[arg-type]
    assert jobs.list_jobs(db) == []


def test_finish_and_fail_only_for_the_worker_holding_the_job(db: Database) -> None:
    first = jobs.enqueue(db, "evaluate", {"version_id": "v1"}, created_by="ana")
    second = jobs.enqueue(db, "evaluate", {"version_id": "v2"}, created_by="ana")
    jobs.claim(db, "w1", ["evaluate"])
    jobs.claim(db, "w2", ["evaluate"])
    assert not jobs.finish(db, first, "w2", {"x": 1}), "not w2's job"
    assert jobs.finish(db, first, "w1", {"score": 0.8})
    assert not jobs.finish(db, first, "w1", {"score": 0.1}), "already final"
    assert jobs.fail(db, second, "w2", "ValueError: no such version v2")
    done, failed = jobs.get_job(db, first), jobs.get_job(db, second)
    assert done is not None and failed is not None
    assert (done.state, done.result, done.finished_at is not None) == (
        "succeeded",
        {"score": 0.8},
        True,
    )
    assert (failed.state, failed.error) == ("failed", "ValueError: no such version v2")


def test_cancel_a_queued_job_at_once_a_running_one_at_its_next_heartbeat(db: Database) -> None:
    queued = jobs.enqueue(db, "train", {}, created_by="ana")
    running = jobs.enqueue(db, "train", {}, created_by="ana")
    assert jobs.request_cancel(db, queued) == "cancelled"
    job = jobs.claim(db, "w1", ["train"])
    assert job is not None and job.id == running, "a cancelled job is never claimed"
    assert jobs.heartbeat(db, running, "w1") == "running"
    assert jobs.request_cancel(db, running) == "running"
    assert jobs.heartbeat(db, running, "w1") == "cancel"
    assert jobs.mark_cancelled(db, running, "w1")
    with pytest.raises(jobs.JobError, match="already cancelled"):
        jobs.request_cancel(db, running)
    with pytest.raises(jobs.JobError, match="no job 999"):
        jobs.request_cancel(db, 999)


def test_a_dead_workers_job_is_requeued_once_then_failed_with_the_reason(db: Database) -> None:
    job_id = jobs.enqueue(db, "train", {}, created_by="ana")
    jobs.claim(db, "w1", ["train"], now=T0)
    assert jobs.requeue_expired(db, lease=LEASE, now=T0 + LEASE / 2) == []
    assert jobs.heartbeat(db, job_id, "w1", now=T0 + LEASE / 2) == "running"
    assert jobs.requeue_expired(db, lease=LEASE, now=T0 + LEASE) == [], "renewed"
    [reaped] = jobs.requeue_expired(db, lease=LEASE, now=T0 + 2 * LEASE)
    assert (reaped.job_id, reaped.state) == (job_id, "queued")
    assert "worker w1 stopped renewing its lease" in reaped.reason
    assert jobs.heartbeat(db, job_id, "w1") == "lost", "the old holder learns it lost the job"
    again = jobs.claim(db, "w2", ["train"], now=T0 + 3 * LEASE)
    assert again is not None and (again.attempts, again.error) == (2, None)
    [reaped] = jobs.requeue_expired(db, lease=LEASE, now=T0 + 5 * LEASE)
    assert reaped.state == "failed"
    job = jobs.get_job(db, job_id)
    assert job is not None and job.state == "failed"
    assert job.error is not None and "worker w2" in job.error and "attempt 2 of 2" in job.error
    assert [line.level for line in jobs.logs_for(db, job_id)] == ["WARNING", "WARNING"]
    assert jobs.requeue_expired(db, lease=LEASE, now=T0 + 9 * LEASE) == []


def test_an_expired_job_that_was_asked_to_cancel_is_cancelled(db: Database) -> None:
    job_id = jobs.enqueue(db, "train", {}, created_by="ana")
    jobs.claim(db, "w1", ["train"], now=T0)
    jobs.request_cancel(db, job_id)
    [reaped] = jobs.requeue_expired(db, lease=LEASE, now=T0 + 2 * LEASE)
    assert reaped.state == "cancelled"


def test_metrics_and_logs_read_in_order_while_the_job_runs(db: Database) -> None:
    job_id = jobs.enqueue(db, "train", {}, created_by="ana")
    jobs.claim(db, "w1", ["train"])
    jobs.record_metrics(db, job_id, 2, {"loss": 1.5, "eval_loss": float("nan")})
    jobs.record_metrics(db, job_id, 1, {"loss": 2.0, "peak_mem_mb": 512})
    jobs.append_log(db, job_id, "step 1 done")
    jobs.append_log(db, job_id, "step 2 done", level="WARNING")
    points = jobs.metrics_for(db, job_id)
    assert [(p.step, p.values) for p in points] == [
        (1, {"loss": 2.0, "peak_mem_mb": 512}),
        (2, {"loss": 1.5, "eval_loss": None}),
    ]
    assert [p.step for p in jobs.metrics_for(db, job_id, after_step=1)] == [2]
    lines = jobs.logs_for(db, job_id)
    assert [(line.level, line.message) for line in lines] == [
        ("INFO", "step 1 done"),
        ("WARNING", "step 2 done"),
    ]
    assert [line.message for line in jobs.logs_for(db, job_id, after_id=lines[0].id)] == [
        "step 2 done"
    ]


def test_live_workers_are_the_ones_heartbeating(db: Database) -> None:
    assert jobs.live_workers(db, now=T0) == []
    jobs.register_worker(db, "gpu-1", host="gpu", pid=10, kinds=["train"], now=T0)
    jobs.register_worker(db, "cpu-1", host="cpu", pid=11, kinds=["evaluate"], now=T0)
    jobs.worker_heartbeat(db, "gpu-1", now=T0 + timedelta(seconds=50))
    live = jobs.live_workers(db, within=timedelta(seconds=60), now=T0 + timedelta(seconds=90))
    assert [(w.id, w.kinds) for w in live] == [("gpu-1", ["train"])]
    jobs.worker_stopped(db, "gpu-1")
    assert jobs.live_workers(db, now=T0 + timedelta(seconds=90)) == []
    assert {w.id for w in jobs.list_workers(db)} == {"gpu-1", "cpu-1"}
    jobs.register_worker(db, "cpu-2", host="cpu", pid=12, kinds=["train"], now=T0 + timedelta(8))
    assert [w.id for w in jobs.list_workers(db)] == ["cpu-2"], "week-old workers are forgotten"
