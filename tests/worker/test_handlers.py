"""The job kinds' handlers with the learning-loop functions replaced: a dataset build queues its
training, an evaluation reports its summary and progress and stops on cancel, a training finds
its dataset through the dataset registry."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import pipelines.datasets
import pipelines.evaluation
from knowledge.db import jobs
from knowledge.db.connection import Database
from knowledge.db.curation_models import DatasetVersion
from knowledge.settings import Settings
from pipelines.datasets import DatasetOptions, DatasetVersionInfo
from pipelines.worker import JobRun, Worker
from pipelines.worker.handlers import DEFAULT_HANDLERS, PayloadError, dataset_dir_for
from tests.worker import fakes


@pytest.fixture
def db(settings: Settings) -> Any:
    database = Database(settings.sql_url)
    database.upgrade()
    yield database
    database.dispose()


def _worker(db: Database, settings: Settings) -> Worker:
    services = SimpleNamespace(settings=settings, db=db)
    return Worker(
        db,
        DEFAULT_HANDLERS,
        services=services,
        options=fakes.options(heartbeat=0.05),  # type: ignore[arg-type]
    )


def test_a_dataset_build_queues_its_training(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def build(services: Any, *, built_by: str, options: DatasetOptions | None) -> Any:
        seen.update(built_by=built_by, options=options)
        return DatasetVersionInfo("ds-7", Path("/data/datasets/ds-7"), "abc123", {"train": 60})

    monkeypatch.setattr(pipelines.datasets, "build_dataset", build)
    then_train = {"config": "fast", "overrides": {"epochs": 1}}
    payload = {"options": {"min_examples": 10, "seed": 3}, "then_train": then_train}
    job_id = jobs.enqueue(db, "dataset_build", payload, created_by="console:ana")
    assert _worker(db, settings).run_once()
    job = jobs.get_job(db, job_id)
    assert job is not None and job.state == "succeeded", job.error
    assert seen == {"built_by": "console:ana", "options": DatasetOptions(min_examples=10, seed=3)}
    result = job.result or {}
    assert (result["dataset_version_id"], result["content_hash"]) == ("ds-7", "abc123")
    train = jobs.get_job(db, result["train_job"])
    assert train is not None and (train.kind, train.state, train.created_by) == (
        "train",
        "queued",
        "console:ana",
    )
    assert train.payload == {**then_train, "dataset_version_id": "ds-7"}


def test_unknown_dataset_options_fail_the_job_with_the_reason(
    db: Database, settings: Settings
) -> None:
    job_id = jobs.enqueue(db, "dataset_build", {"options": {"min_exampels": 3}}, created_by="ana")
    assert _worker(db, settings).run_once()
    job = jobs.get_job(db, job_id)
    assert job is not None and job.state == "failed"
    assert job.error is not None and "min_exampels" in job.error


def _report(version_id: str) -> Any:
    return SimpleNamespace(
        version_id=version_id,
        report_id=4,
        passed=False,
        gate={"passed": False, "rules": [{"rule": "min_gain", "passed": False, "detail": "+0.01"}]},
        summary={"key_facts": 0.71},
        answerers={"candidate": version_id, "live": "extractive", "base": "base"},
        questions={"test": 25},
        per_question={"q1": {}},
    )


def test_an_evaluation_reports_its_summary_and_progress(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def evaluate(services: Any, version_id: str, **kwargs: Any) -> Any:
        assert kwargs["qa_files"] == (Path("qa.jsonl"),) and kwargs["created_by"] == "ana"
        for _ in range(25):
            kwargs["on_answer"]()
        return _report(version_id)

    monkeypatch.setattr(pipelines.evaluation, "evaluate_candidate", evaluate)
    job_id = jobs.enqueue(
        db, "evaluate", {"version_id": "v3", "qa_files": ["qa.jsonl"]}, created_by="ana"
    )
    assert _worker(db, settings).run_once()
    job = jobs.get_job(db, job_id)
    assert job is not None and job.state == "succeeded", job.error
    assert job.result == {
        "version_id": "v3",
        "report_id": 4,
        "passed": False,
        "gate": _report("v3").gate,
        "summary": {"key_facts": 0.71},
        "answerers": {"candidate": "v3", "live": "extractive", "base": "base"},
        "questions": {"test": 25},
    }
    assert [p.values["answers"] for p in jobs.metrics_for(db, job_id)] == [10, 20]


def test_a_cancelled_evaluation_stops_at_the_next_answer(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answering = threading.Event()

    def evaluate(services: Any, version_id: str, **kwargs: Any) -> Any:
        for _ in range(100_000):
            answering.set()
            threading.Event().wait(0.01)
            kwargs["on_answer"]()
        raise AssertionError("never cancelled")

    monkeypatch.setattr(pipelines.evaluation, "evaluate_candidate", evaluate)
    job_id = jobs.enqueue(db, "evaluate", {"version_id": "v3"}, created_by="ana")
    thread = threading.Thread(target=_worker(db, settings).run_once)
    thread.start()
    assert answering.wait(30)
    jobs.request_cancel(db, job_id)
    thread.join(30)
    job = jobs.get_job(db, job_id)
    assert job is not None and job.state == "cancelled"


def test_a_training_finds_its_dataset_in_the_dataset_registry(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "ds-9"
    with db.session() as session:
        session.add(DatasetVersion(id="ds-9", path=str(folder), content_hash="h9", built_by="ana"))
    run = JobRun(1, "train", {"dataset_version_id": "ds-9"}, "ana", 1, db)
    with pytest.raises(PayloadError, match=r"ds-9's folder .* is missing"):
        dataset_dir_for(run)
    folder.mkdir()
    assert dataset_dir_for(run) == ("ds-9", folder, "h9")
