"""The real job kinds through the worker: a LoRA training run on a tiny random model (metrics
per step, a registered candidate, its evaluation queued), a cancelled training, a refused
dataset build and a corrupt dataset, each ending with the reason."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is imported: never reach for a hub

import pytest

from knowledge.db import jobs, registry
from knowledge.generation.testing import build_tiny_model, smollm2_tokenizer
from knowledge.services import Services
from knowledge.settings import Settings
from pipelines.training.testing import write_synthetic_dataset
from pipelines.worker import Worker, WorkerOptions
from pipelines.worker.handlers import DEFAULT_HANDLERS

FAST = {"batch_size": 1, "learning_rate": 3e-3, "warmup_ratio": 0.0, "early_stopping_patience": 0}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tokenizer = smollm2_tokenizer(tmp_path_factory.mktemp("tokenizer"))
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", tokenizer)


@pytest.fixture
def svc(settings: Settings) -> Iterator[Services]:
    services = Services.from_settings(settings)
    yield services
    services.close()


def _dataset(settings: Settings, name: str, train: int = 4) -> str:
    folder = write_synthetic_dataset(
        settings.data_dir / "datasets" / name, train=train, validation=2
    )
    (folder / "manifest.json").write_text(json.dumps({"content_hash": f"hash-{name}"}), "utf-8")
    return name


def _worker(svc: Services, kinds: list[str]) -> Worker:
    options = WorkerOptions(heartbeat=timedelta(seconds=0.05), poll=timedelta(seconds=0.05))
    return Worker(svc.db, DEFAULT_HANDLERS, kinds=kinds, services=svc, options=options)


def test_a_train_job_trains_registers_and_queues_the_evaluation(
    svc: Services, settings: Settings, tiny_model: Path
) -> None:
    dataset = _dataset(settings, "ds-1")
    payload = {
        "dataset_version_id": dataset,
        "base_model": str(tiny_model),
        "overrides": {**FAST, "max_steps": 3},
        "qa_files": ["knowledge/sample/handbook_qa.jsonl"],
    }
    job_id = jobs.enqueue(svc.db, "train", payload, created_by="ana")
    assert _worker(svc, ["train"]).run_once()
    job = jobs.get_job(svc.db, job_id)
    assert job is not None and job.state == "succeeded", job.error
    result = job.result or {}
    version = registry.get_version(svc.db, result["version_id"])
    assert (version.status, version.dataset_hash, version.created_by) == (
        "candidate",
        "hash-ds-1",
        "ana",
    )
    assert Path(result["adapter_dir"]).is_dir()
    assert result["metrics"]["steps"] == 3
    losses = [p for p in jobs.metrics_for(svc.db, job_id) if "loss" in p.values]
    assert [p.step for p in losses] == [1, 2, 3]
    assert all(p.values["tokens_per_s"] > 0 for p in losses)
    follow_up = jobs.get_job(svc.db, result["evaluate_job"])
    assert follow_up is not None and (follow_up.kind, follow_up.state) == ("evaluate", "queued")
    assert follow_up.payload == {
        "version_id": result["version_id"],
        "qa_files": ["knowledge/sample/handbook_qa.jsonl"],
    }


def test_cancelling_a_training_stops_it_at_the_next_step_with_no_adapter(
    svc: Services, settings: Settings, tiny_model: Path
) -> None:
    dataset = _dataset(settings, "ds-2", train=8)
    payload = {
        "dataset_version_id": dataset,
        "base_model": str(tiny_model),
        "overrides": {**FAST, "max_steps": 500},
    }
    job_id = jobs.enqueue(svc.db, "train", payload, created_by="ana")
    thread = threading.Thread(target=_worker(svc, ["train"]).run_once)
    thread.start()
    deadline = time.monotonic() + 120
    while not jobs.metrics_for(svc.db, job_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert jobs.request_cancel(svc.db, job_id) == "running"
    thread.join(120)
    job = jobs.get_job(svc.db, job_id)
    assert job is not None and job.state == "cancelled"
    assert len(jobs.metrics_for(svc.db, job_id)) < 500
    assert not list(settings.adapters_dir.glob("job-*")), "no adapter from a cancelled run"
    assert [v.id for v in registry.list_versions(svc.db) if v.kind == "adapter"] == []


def test_a_corrupt_dataset_fails_the_job_with_the_reason(svc: Services, settings: Settings) -> None:
    folder = settings.data_dir / "datasets" / "ds-bad"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{not json", "utf-8")
    job_id = jobs.enqueue(svc.db, "train", {"dataset_version_id": "ds-bad"}, created_by="ana")
    assert _worker(svc, ["train"]).run_once()
    job = jobs.get_job(svc.db, job_id)
    assert job is not None and job.state == "failed"
    assert job.error is not None and job.error.startswith("PayloadError: dataset ds-bad's manifest")


def test_a_dataset_build_with_too_little_data_fails_with_the_explanation(svc: Services) -> None:
    job_id = jobs.enqueue(svc.db, "dataset_build", {}, created_by="ana")
    assert _worker(svc, ["dataset_build"]).run_once()
    job = jobs.get_job(svc.db, job_id)
    assert job is not None and job.state == "failed"
    assert job.error is not None and job.error.startswith("DatasetError: ")


@pytest.mark.slow  # a child process loads torch: about a minute on 2 cores
def test_a_launched_training_reports_from_the_child_and_registers_the_adapter(
    svc: Services, settings: Settings, tiny_model: Path
) -> None:
    """processes=1: the `accelerate launch` path a multi-GPU host takes, on this CPU."""
    dataset = _dataset(settings, "ds-launch")
    payload = {
        "dataset_version_id": dataset,
        "base_model": str(tiny_model),
        "overrides": {**FAST, "max_steps": 2},
        "processes": 1,
    }
    job_id = jobs.enqueue(svc.db, "train", payload, created_by="ana")
    assert _worker(svc, ["train"]).run_once()
    job = jobs.get_job(svc.db, job_id)
    assert job is not None and job.state == "succeeded", job.error
    result = job.result or {}
    assert registry.get_version(svc.db, result["version_id"]).status == "candidate"
    assert result["metrics"]["steps"] == 2
    assert [p.step for p in jobs.metrics_for(svc.db, job_id) if "loss" in p.values] == [1, 2]
    assert any("adapter trained" in line.message for line in jobs.logs_for(svc.db, job_id))
    assert sorted(p.name for p in settings.adapters_dir.iterdir()) == [f"job-{job_id}-attempt-1"]


@pytest.mark.slow  # a child process loads torch: about a minute on 2 cores
def test_a_launched_training_that_fails_gives_the_ranks_reason(
    svc: Services, settings: Settings, tmp_path: Path
) -> None:
    dataset = _dataset(settings, "ds-launch-bad")
    payload = {"dataset_version_id": dataset, "base_model": str(tmp_path), "processes": 1}
    job_id = jobs.enqueue(svc.db, "train", payload, created_by="ana")
    assert _worker(svc, ["train"]).run_once()
    job = jobs.get_job(svc.db, job_id)
    assert job is not None and job.state == "failed"
    assert job.error is not None
    assert job.error.startswith("LaunchError: TrainingError: cannot load the tokenizer of")
