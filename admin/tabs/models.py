"""Models: the registry with lineage, evaluation reports (candidate, live, base), promotion."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from admin.auth import record
from admin.context import ConsoleContext
from knowledge.db import jobs, registry

HEADERS = [
    "id",
    "kind",
    "status",
    "base model",
    "dataset",
    "created (UTC)",
    "by",
    "gate",
    "promoted",
]
HISTORY_HEADERS = ["when (UTC)", "action", "from", "to", "by", "forced", "reason"]


def _stamp(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def version_rows(ctx: ConsoleContext) -> list[list[Any]]:
    rows = []
    for v in reversed(registry.list_versions(ctx.services.db)):
        report = registry.latest_report(ctx.services.db, v.id)
        gate = "" if report is None else ("passed" if report.passed else "failed")
        rows.append(
            [
                v.id,
                v.kind,
                v.status,
                v.base_model,
                v.dataset_version_id or "",
                _stamp(v.created_at),
                v.created_by,
                gate,
                f"{_stamp(v.promoted_at)} {v.promoted_by or ''}".strip(),
            ]
        )
    return rows


def history_rows(ctx: ConsoleContext) -> list[list[Any]]:
    return [
        [_stamp(p.at), p.action, p.from_version or "", p.to_version, p.actor, p.forced, p.reason]
        for p in registry.promotions(ctx.services.db, limit=50)
    ]


def lineage(ctx: ConsoleContext, version_id: str) -> str:
    v = registry.get_version(ctx.services.db, version_id.strip())
    training = (v.metrics or {}).get("training", {})
    lines = [
        f"### {v.id} ({v.kind}, {v.status})",
        f"- base model: `{v.base_model}` {v.base_revision}",
        f"- dataset: `{v.dataset_version_id or '—'}` (hash `{(v.dataset_hash or '—')[:16]}`)",
        f"- adapter: `{v.adapter_path or '—'}`",
        f"- code version: `{v.code_version or '—'}`",
        f"- created by {v.created_by} at {_stamp(v.created_at)}",
    ]
    if v.error:
        lines.append(f"- **error:** {v.error}")
    if v.hyperparameters:
        lines.append(f"- hyperparameters: `{json.dumps(v.hyperparameters, sort_keys=True)}`")
    if training:
        shown = {
            k: training[k] for k in ("train_loss", "eval_loss", "steps", "seconds") if k in training
        }
        lines.append(f"- training: `{json.dumps(shown)}`")
    return "\n".join(lines)


def report_view(ctx: ConsoleContext, version_id: str) -> tuple[str, pd.DataFrame, list[list[Any]]]:
    """The gate's verdict, figures per answerer (all sources), and per-question wins/losses."""
    report = registry.latest_report(ctx.services.db, version_id.strip())
    empty = pd.DataFrame(columns=["answerer", "metric", "value"])
    if report is None:
        return f"{version_id} has no evaluation yet: use 'Evaluate'.", empty, []
    data = report.report
    gate = data.get("gate", {})
    lines = [f"**Gate: {'passed' if report.passed else 'failed'}** ({_stamp(report.created_at)})"]
    for rule in gate.get("rules", []):
        mark = "PASS" if rule.get("passed") else "FAIL"
        lines.append(f"- {mark} {rule.get('rule')}: {rule.get('detail', '')}")
    figures = data.get("figures", {}).get("all", {})
    points = [
        {"answerer": name, "metric": metric, "value": float(value)}
        for name, values in figures.items()
        for metric, value in values.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    ]
    wins, losses = data.get("wins", {}), data.get("losses", {})
    rows = [[against, "win", question] for against, ids in wins.items() for question in ids] + [
        [against, "loss", question] for against, ids in losses.items() for question in ids
    ]
    return "\n".join(lines), pd.DataFrame(points, columns=["answerer", "metric", "value"]), rows


def evaluate(ctx: ConsoleContext, version_id: str, user: str) -> str:
    version = registry.get_version(ctx.services.db, version_id.strip())
    job_id = jobs.enqueue(
        ctx.services.db, "evaluate", {"version_id": version.id}, created_by=f"console:{user}"
    )
    record(ctx, user, "console.evaluate", version.id, job=job_id)
    return f"Evaluation of {version.id} queued as job {job_id}."


def promote(ctx: ConsoleContext, version_id: str, force: bool, reason: str, user: str) -> str:
    """Promote (the registry refuses unevaluated, failed or gate-failing versions unless
    forced with a reason); the refusal reaches the admin as the registry's sentence."""
    info = registry.promote(
        ctx.services.db, version_id.strip(), actor=f"console:{user}", force=force, reason=reason
    )
    record(ctx, user, "console.promote", info.to_version, forced=info.forced, reason=reason)
    forced = " (forced past the gate)" if info.forced else ""
    return (
        f"{info.to_version} is live{forced}; was {info.from_version or 'nothing'}. Answering "
        "processes switch within seconds."
    )


def rollback(ctx: ConsoleContext, reason: str, user: str) -> str:
    info = registry.rollback(ctx.services.db, actor=f"console:{user}", reason=reason)
    record(ctx, user, "console.rollback", info.to_version, reason=reason)
    return f"Rolled back: {info.to_version} is live again (was {info.from_version})."
