"""Training: build and preview datasets, start a fine-tune job, watch the queue, curves and log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from admin.auth import record
from admin.context import ConsoleContext
from admin.tabs.training_fields import PROFILES, overrides_from
from knowledge.db import dataset_versions, jobs

DATASET_HEADERS = ["id", "built (UTC)", "by", "train", "validation", "test", "hash"]
JOB_HEADERS = [
    "id",
    "kind",
    "state",
    "by",
    "queued (UTC)",
    "started",
    "finished",
    "worker",
    "error",
]
PREVIEW_EXAMPLES = 5


def _stamp(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def worker_status(ctx: ConsoleContext) -> str:
    alive = jobs.live_workers(ctx.services.db, now=ctx.now())
    queued = jobs.state_counts(ctx.services.db).get("queued", 0)
    if alive:
        names = ", ".join(f"{w.id} ({', '.join(w.kinds or [])})" for w in alive)
        return f"**{len(alive)} worker(s) alive:** {names}. {queued} job(s) queued."
    warning = f" {queued} queued job(s) are waiting." if queued else ""
    return (
        "**No worker is running:** jobs wait in the queue until `python -m pipelines.worker` "
        f"(or `helpbot up`) runs.{warning}"
    )


def _split_count(counts: dict[str, Any], split: str) -> Any:
    value = (counts or {}).get(split)
    if isinstance(value, dict):
        return value.get(
            "total", value.get("examples", sum(v for v in value.values() if isinstance(v, int)))
        )
    return value if value is not None else ""


def dataset_rows(ctx: ConsoleContext) -> list[list[Any]]:
    with ctx.services.db.session() as session:
        return [
            [
                d.id,
                _stamp(d.built_at),
                d.built_by,
                _split_count(d.counts, "train"),
                _split_count(d.counts, "validation"),
                _split_count(d.counts, "test"),
                d.content_hash[:12],
            ]
            for d in dataset_versions.list_datasets(session, limit=50)
        ]


def build_dataset(
    ctx: ConsoleContext,
    then_train: bool,
    profile: str,
    values: dict[str, Any],
    user: str,
    include_slack: bool = False,
) -> str:
    """Queue a dataset build from the approved items (and, if asked, its training job).
    Slack conversations go in only with `include_slack` or HELPBOT_SLACK_TRAINING_CONSENT."""
    payload: dict[str, Any] = {}
    if include_slack:
        payload["options"] = {"include_slack": True}
    if then_train:
        payload["then_train"] = _train_payload(profile, values)
    job_id = jobs.enqueue(ctx.services.db, "dataset_build", payload, created_by=f"console:{user}")
    record(
        ctx, user, "console.dataset_build", str(job_id), then_train=then_train, slack=include_slack
    )
    return f"Dataset build queued as job {job_id}. " + worker_status(ctx)


def slack_consent_note(ctx: ConsoleContext) -> str:
    if ctx.services.settings.slack_training_consent:
        return "Slack conversations are used for training (HELPBOT_SLACK_TRAINING_CONSENT is on)."
    return (
        "Slack conversations stay out of datasets (HELPBOT_SLACK_TRAINING_CONSENT is off); tick "
        "the box to include them in one build, after telling employees."
    )


def _train_payload(profile: str, values: dict[str, Any]) -> dict[str, Any]:
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}: choose {', '.join(PROFILES)}.")
    return {"config": profile, "overrides": overrides_from(values)}


def _dataset(ctx: ConsoleContext, dataset_id: str) -> tuple[Path, Any, Any]:
    with ctx.services.db.session() as session:
        try:
            dataset = dataset_versions.get_dataset(session, dataset_id.strip())
        except dataset_versions.DatasetNotFoundError as error:
            raise ValueError(str(error)) from None
        return Path(dataset.path), dataset.counts, dataset.filters


def dataset_preview(ctx: ConsoleContext, dataset_id: str) -> tuple[str, str]:
    """The manifest and statistics, and the first training examples rendered as chat."""
    if not dataset_id.strip():
        raise ValueError("Pick a dataset (click a row) first.")
    folder, counts, filters = _dataset(ctx, dataset_id)
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"Dataset {dataset_id}'s files are missing or corrupt: {error}") from None
    stats = json.dumps({"counts": counts, "filters": filters, "manifest": manifest}, indent=2)
    chats = []
    try:
        with (folder / "train.jsonl").open(encoding="utf-8") as lines:
            for n, line in enumerate(lines):
                if n >= PREVIEW_EXAMPLES:
                    break
                example = json.loads(line)
                turns = [*example.get("prompt", []), *example.get("completion", [])]
                chats.append(
                    f"— example {n + 1} —\n"
                    + "\n".join(f"[{t.get('role')}] {t.get('content')}" for t in turns)
                )
    except (OSError, ValueError) as error:
        chats.append(f"(train.jsonl could not be read: {error})")
    return stats, "\n\n".join(chats)


def start_training(
    ctx: ConsoleContext, dataset_id: str, profile: str, values: dict[str, Any], user: str
) -> str:
    if not dataset_id.strip():
        raise ValueError("Pick the dataset to train on (click a row) first.")
    _dataset(ctx, dataset_id)
    payload = {"dataset_version_id": dataset_id.strip(), **_train_payload(profile, values)}
    job_id = jobs.enqueue(ctx.services.db, "train", payload, created_by=f"console:{user}")
    record(
        ctx, user, "console.train", str(job_id), dataset=dataset_id, overrides=payload["overrides"]
    )
    return f"Training queued as job {job_id}. " + worker_status(ctx)


def job_rows(ctx: ConsoleContext) -> list[list[Any]]:
    return [
        [
            j.id,
            j.kind,
            j.state
            + (" (cancel requested)" if j.cancel_requested and j.state == "running" else ""),
            j.created_by,
            _stamp(j.created_at),
            _stamp(j.started_at),
            _stamp(j.finished_at),
            j.worker_id or "",
            (j.error or "")[:160],
        ]
        for j in jobs.list_jobs(ctx.services.db, limit=50)
    ]


def loss_curves(ctx: ConsoleContext, job_id: int) -> pd.DataFrame:
    """Train and validation loss by step, long format (one row per point and series)."""
    points = []
    for point in jobs.metrics_for(ctx.services.db, int(job_id)):
        for key, series in (("loss", "train"), ("eval_loss", "validation")):
            value = point.values.get(key)
            if isinstance(value, int | float):
                points.append({"step": point.step, "loss": float(value), "series": series})
    return pd.DataFrame(points, columns=["step", "loss", "series"])


def job_log(ctx: ConsoleContext, job_id: int) -> str:
    entries = jobs.logs_for(ctx.services.db, int(job_id), limit=500)
    return "\n".join(f"{_stamp(e.at)} {e.level} {e.message}" for e in entries) or "(no log yet)"


def cancel_job(ctx: ConsoleContext, job_id: int, user: str) -> str:
    state = jobs.request_cancel(ctx.services.db, int(job_id), now=ctx.now())
    record(ctx, user, "console.job_cancel", str(job_id), state=state)
    if state == "cancelled":
        return f"Job {job_id} cancelled."
    return f"Job {job_id} asked to stop: the worker stops it at its next step."
