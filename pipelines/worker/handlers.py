"""What each job kind runs: dataset build, LoRA training (then register + evaluate), evaluation.

The learning-loop functions are imported inside each handler, so the worker starts (and its
tests run) without loading torch or any pipeline it will not use.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.worker.loop import Handler, JobRun, JobStopped

log = logging.getLogger(__name__)


class PayloadError(ValueError):
    """A job payload that misses what its kind needs; the job fails with this sentence."""


def _services(run: JobRun) -> Any:
    if run.services is None:
        raise PayloadError(f"{run.kind} jobs need the worker's services (settings, stores)")
    return run.services


def _text(payload: Mapping[str, Any], name: str, kind: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{kind} jobs need {name!r} in their payload")
    return value


def as_plain(value: Any) -> Any:
    """A JSON-ready copy of a result object (dataclasses, paths, tuples)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return as_plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [as_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def code_version() -> str:
    """The git commit of this checkout (with "+dirty" when it has changes), or "unknown"."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def dataset_build(run: JobRun) -> dict[str, Any]:
    """Build an immutable dataset version; with `then_train`, queue its training job."""
    from pipelines.datasets import DatasetOptions, build_dataset

    options = run.payload.get("options")
    if options is not None and not isinstance(options, Mapping):
        raise PayloadError("a dataset_build job's 'options' must be a mapping")
    info = build_dataset(
        _services(run),
        built_by=run.created_by,
        options=DatasetOptions(**options) if options else None,
    )
    result: dict[str, Any] = {
        "dataset_version_id": info.id,
        "path": str(info.path),
        "content_hash": info.content_hash,
        "counts": as_plain(info.counts),
    }
    then_train = run.payload.get("then_train")
    if then_train:
        train_payload = dict(then_train) if isinstance(then_train, Mapping) else {}
        train_payload["dataset_version_id"] = info.id
        result["train_job"] = run.enqueue("train", train_payload)
    return result


def dataset_dir_for(run: JobRun) -> tuple[str, Path, str]:
    """The dataset's id, its folder and its content hash: from the dataset registry, else
    (a folder copied in by hand, or `dataset_dir` in the payload) from its manifest."""
    from knowledge.db import dataset_versions

    dataset_id = _text(run.payload, "dataset_version_id", "train")
    explicit = run.payload.get("dataset_dir")
    if not explicit:
        with run.db.session() as session:
            try:
                row = dataset_versions.get_dataset(session, dataset_id)
            except dataset_versions.DatasetNotFoundError:
                row = None
            if row is not None:
                if not Path(row.path).is_dir():
                    raise PayloadError(f"dataset {dataset_id}'s folder {row.path} is missing")
                return dataset_id, Path(row.path), row.content_hash
    settings = _services(run).settings
    folder = Path(explicit or settings.data_dir / "datasets" / dataset_id)
    manifest = folder / "manifest.json"
    try:
        content_hash = str(json.loads(manifest.read_text(encoding="utf-8"))["content_hash"])
    except FileNotFoundError as exc:
        raise PayloadError(f"dataset {dataset_id} has no manifest at {manifest}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"dataset {dataset_id}'s manifest is corrupt: {exc}") from exc
    return dataset_id, folder, content_hash


def train(run: JobRun) -> dict[str, Any]:
    """Fine-tune a LoRA adapter on a dataset version, register it as a candidate, queue its
    evaluation. Payload: dataset_version_id, optional config (profile or YAML path),
    overrides (config fields), base_model, qa_files (for the evaluation), processes (0: in
    this process; N: `accelerate launch` with N processes, one per GPU)."""
    dataset_id, dataset_dir, dataset_hash = dataset_dir_for(run)  # before loading torch
    from knowledge.db import registry
    from knowledge.generation.model_files import resolve_base_model
    from pipelines.training import TrainingCancelled, load_config, train_adapter

    overrides = run.payload.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        raise PayloadError("a train job's 'overrides' must be a mapping of config fields")
    config = load_config(run.payload.get("config"), **overrides)
    settings = _services(run).settings
    base_model = str(run.payload.get("base_model") or settings.base_model)
    model_path = resolve_base_model(base_model, settings.models_dir)
    output_dir = settings.adapters_dir / f"job-{run.job_id}-attempt-{run.attempt}"
    processes = run.payload.get("processes", settings.worker_train_processes)
    if not isinstance(processes, int) or isinstance(processes, bool) or processes < 0:
        raise PayloadError("a train job's 'processes' must be a whole number, 0 or more")
    run.log(f"training on dataset {dataset_id} into {output_dir}")
    if processes:  # one child per GPU through `accelerate launch`
        from pipelines.worker.launcher import launch_training

        trained: Any = launch_training(
            run,
            processes=processes,
            config_yaml=config.to_yaml(),
            dataset_dir=dataset_dir,
            output_dir=output_dir,
            base_model=model_path,
        )
    else:
        try:
            trained = train_adapter(
                config,
                dataset_dir,
                output_dir,
                base_model=model_path,
                on_step=run.on_step,
                should_stop=run.should_stop,
            )
        except TrainingCancelled as stopped:
            raise JobStopped(f"training stopped: {stopped}") from stopped
    metrics = as_plain(trained.metrics)
    version_id = registry.register_candidate(
        run.db,
        base_model=base_model,
        adapter_path=str(trained.adapter_dir),
        dataset_version_id=dataset_id,
        dataset_hash=dataset_hash,
        hyperparameters=as_plain(config),
        code_version=code_version(),
        training_metrics=metrics,
        created_by=run.created_by,
    )
    evaluate_payload = {"version_id": version_id, "qa_files": run.payload.get("qa_files") or []}
    return {
        "version_id": version_id,
        "adapter_dir": str(trained.adapter_dir),
        "metrics": metrics,
        "evaluate_job": run.enqueue("evaluate", evaluate_payload),
    }


def evaluate(run: JobRun) -> dict[str, Any]:
    """Evaluate a registered candidate against the live answerer and the base model."""
    version_id = _text(run.payload, "version_id", "evaluate")  # before loading models
    from pipelines.evaluation import evaluate_candidate

    qa_files = run.payload.get("qa_files") or []
    if not isinstance(qa_files, list):
        raise PayloadError("an evaluate job's 'qa_files' must be a list of paths")
    answered = 0

    def progress() -> None:
        nonlocal answered
        answered += 1
        if answered % 10 == 0:
            run.on_step({"step": answered, "answers": answered})
        # A cancel stops at the next answer (the candidate is then marked failed); a worker
        # shutting down lets the evaluation finish rather than fail a good candidate.
        if run.cancel.is_set() or run.lost.is_set():
            raise JobStopped(f"evaluation cancelled after {answered} answers")

    report = evaluate_candidate(
        _services(run),
        version_id,
        qa_files=tuple(Path(p) for p in qa_files),
        created_by=run.created_by,
        on_answer=progress,
    )
    return {  # the full report, per question, is in the registry under report_id
        "version_id": report.version_id,
        "report_id": report.report_id,
        "passed": report.passed,
        "gate": as_plain(report.gate),
        "summary": as_plain(report.summary),
        "answerers": dict(report.answerers),
        "questions": dict(report.questions),
    }


DEFAULT_HANDLERS: dict[str, Handler] = {
    "dataset_build": dataset_build,
    "train": train,
    "evaluate": evaluate,
}
