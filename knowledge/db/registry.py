"""Model registry queries: versions and their lineage, the live pointer, reports, promotions.

The live answerer is whatever `model_live` points at. A fresh registry holds the extractive
answerer (live) and the base model (a candidate): what is live afterwards is chosen by
evaluation. Promotion refuses unevaluated, failed or mismatched versions and, unless forced
with a reason, versions whose last evaluation did not pass the gate.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge.db.engine import Database
from knowledge.db.models import utcnow
from knowledge.db.registry_models import (
    LIVE_SLOT,
    EvaluationReportRow,
    LivePointer,
    ModelVersion,
    Promotion,
)
from knowledge.generation.models import SHIPPED_MODEL_NAME

logger = logging.getLogger(__name__)

EXTRACTIVE_ID = "extractive"
BASE_ID = "base"
PROMOTABLE = ("evaluated", "retired")


class RegistryError(ValueError):
    """A registry action was refused; the message says why and what would fix it."""


@dataclass(frozen=True)
class VersionInfo:
    """A registry entry as plain values (what callers and the console show)."""

    id: str
    kind: str
    base_model: str
    base_revision: str
    adapter_path: str | None
    dataset_version_id: str | None
    dataset_hash: str | None
    hyperparameters: dict[str, Any]
    code_version: str
    status: str
    metrics: dict[str, Any]
    error: str | None
    created_by: str
    created_at: datetime
    promoted_by: str | None
    promoted_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("created_at", "promoted_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True)
class ReportInfo:
    id: int
    version_id: str
    live_version_id: str | None
    passed: bool
    report: dict[str, Any]
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class PromotionInfo:
    from_version: str | None
    to_version: str
    action: str
    forced: bool
    reason: str
    actor: str
    at: datetime


def _info(row: ModelVersion) -> VersionInfo:
    return VersionInfo(**{name: getattr(row, name) for name in VersionInfo.__dataclass_fields__})


def _get(session: Session, version_id: str) -> ModelVersion:
    row = session.get(ModelVersion, version_id)
    if row is None:
        raise RegistryError(f"no model version {version_id!r}; `helpbot models list` shows them")
    return row


# --- bootstrap and registration ----------------------------------------------------------


def ensure_bootstrap(db: Database, *, base_model: str, base_revision: str = "") -> None:
    """Create the extractive (live) and base entries once; idempotent and race-safe.
    An empty `base_model` means the shipped SmolLM2 (as in Settings)."""
    base_model = base_model or SHIPPED_MODEL_NAME
    with db.session() as session:
        if session.get(LivePointer, LIVE_SLOT) is not None:
            base = session.get(ModelVersion, BASE_ID)
            if base is not None and base.base_model != base_model:
                logger.warning("configured base model differs from the registry's base entry")
            return
    try:
        with db.session() as session:
            session.add(
                ModelVersion(
                    id=EXTRACTIVE_ID,
                    kind="extractive",
                    status="live",
                    created_by="bootstrap",
                    promoted_by="bootstrap",
                    promoted_at=utcnow(),
                )
            )
            session.add(
                ModelVersion(
                    id=BASE_ID,
                    kind="base",
                    base_model=base_model,
                    base_revision=base_revision,
                    status="candidate",
                    created_by="bootstrap",
                )
            )
            session.flush()
            session.add(LivePointer(slot=LIVE_SLOT, version_id=EXTRACTIVE_ID))
            session.add(
                Promotion(
                    to_version=EXTRACTIVE_ID,
                    action="bootstrap",
                    actor="bootstrap",
                    reason="fresh install: extractive serves until evaluated",
                )
            )
    except IntegrityError:
        logger.info("registry bootstrapped by another process")


def register_candidate(
    db: Database,
    *,
    base_model: str,
    adapter_path: str | Path,
    dataset_version_id: str | None,
    dataset_hash: str | None,
    hyperparameters: dict[str, Any],
    code_version: str,
    training_metrics: dict[str, Any],
    created_by: str,
    base_revision: str = "",
) -> str:
    """Record a trained adapter as a candidate; returns its id ("v1", "v2", ...). An empty
    `base_model` means the shipped SmolLM2 (as in Settings)."""
    base_model = base_model or SHIPPED_MODEL_NAME
    for _ in range(5):
        try:
            with db.session() as session:
                count = session.scalar(
                    select(func.count())
                    .select_from(ModelVersion)
                    .where(ModelVersion.kind == "adapter")
                )
                version_id = f"v{(count or 0) + 1}"
                while session.get(ModelVersion, version_id) is not None:
                    version_id = f"v{int(version_id[1:]) + 1}"
                session.add(
                    ModelVersion(
                        id=version_id,
                        kind="adapter",
                        base_model=base_model,
                        base_revision=base_revision,
                        adapter_path=str(adapter_path),
                        dataset_version_id=dataset_version_id,
                        dataset_hash=dataset_hash,
                        hyperparameters=dict(hyperparameters),
                        code_version=code_version,
                        status="candidate",
                        metrics={"training": dict(training_metrics)},
                        created_by=created_by,
                    )
                )
            return version_id
        except IntegrityError:
            continue  # another worker took the number: try the next
    raise RegistryError("could not allocate a version id (too many concurrent registrations)")


# --- reading ------------------------------------------------------------------------------


def live_version_id(db: Database) -> str | None:
    """The live version's id: one primary-key read, cheap enough to poll every few seconds."""
    with db.session() as session:
        pointer = session.get(LivePointer, LIVE_SLOT)
        return pointer.version_id if pointer else None


def live_version(db: Database) -> VersionInfo | None:
    with db.session() as session:
        pointer = session.get(LivePointer, LIVE_SLOT)
        return _info(_get(session, pointer.version_id)) if pointer else None


def get_version(db: Database, version_id: str) -> VersionInfo:
    with db.session() as session:
        return _info(_get(session, version_id))


def list_versions(db: Database) -> list[VersionInfo]:
    with db.session() as session:
        rows = session.scalars(select(ModelVersion).order_by(ModelVersion.created_at))
        return [_info(row) for row in rows]


def promotions(db: Database, limit: int = 50) -> list[PromotionInfo]:
    """The live pointer's history, newest first."""
    with db.session() as session:
        rows = session.scalars(select(Promotion).order_by(Promotion.id.desc()).limit(limit))
        return [
            PromotionInfo(r.from_version, r.to_version, r.action, r.forced, r.reason, r.actor, r.at)
            for r in rows
        ]


def latest_report(db: Database, version_id: str) -> ReportInfo | None:
    with db.session() as session:
        row = session.scalars(
            select(EvaluationReportRow)
            .where(EvaluationReportRow.version_id == version_id)
            .order_by(EvaluationReportRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return ReportInfo(
            row.id,
            row.version_id,
            row.live_version_id,
            row.passed,
            row.report,
            row.created_by,
            row.created_at,
        )


# --- evaluation bookkeeping ----------------------------------------------------------------


def mark_evaluating(db: Database, version_id: str) -> None:
    with db.session() as session:
        row = _get(session, version_id)
        if row.status in ("candidate", "evaluated", "failed"):
            row.status = "evaluating"
            row.error = None


def mark_failed(db: Database, version_id: str, error: str) -> None:
    """The version cannot serve (evaluation crashed, adapter corrupt): never promotable."""
    with db.session() as session:
        row = _get(session, version_id)
        if row.status not in ("live", "retired"):
            row.status = "failed"
        row.error = error


def save_report(
    db: Database,
    version_id: str,
    *,
    live_version_id: str | None,
    passed: bool,
    report: dict[str, Any],
    created_by: str,
) -> int:
    """Store an evaluation; the version becomes `evaluated` (live/retired ones keep status)."""
    with db.session() as session:
        row = _get(session, version_id)
        if row.status not in ("live", "retired"):
            row.status = "evaluated"
        row.error = None
        row.metrics = {**row.metrics, "evaluation": report.get("summary", {})}
        entry = EvaluationReportRow(
            version_id=version_id,
            live_version_id=live_version_id,
            passed=passed,
            report=report,
            created_by=created_by,
        )
        session.add(entry)
        session.flush()
        return entry.id


# --- promotion and rollback --------------------------------------------------------------


def live_base_model(session: Session) -> str:
    """The base model answers run on: the live version's, else the base entry's."""
    pointer = session.get(LivePointer, LIVE_SLOT)
    live = session.get(ModelVersion, pointer.version_id) if pointer else None
    if live is not None and live.base_model:
        return live.base_model
    base = session.get(ModelVersion, BASE_ID)
    return base.base_model if base else ""


def same_base(a: str, b: str) -> bool:
    """Whether two base-model references name one model (a folder path or its name)."""

    def name(model: str) -> str:
        return Path(model.rstrip("/")).name.lower() or model.lower()

    return name(a) == name(b)


def check_promotable(session: Session, row: ModelVersion, *, force: bool, reason: str) -> None:
    """Raise RegistryError unless `row` may become live (see the module docstring)."""
    if row.status == "live":
        raise RegistryError(f"{row.id} is already live")
    if row.status == "failed":
        raise RegistryError(f"{row.id} failed and cannot serve: {row.error or 'no reason kept'}")
    if row.status not in PROMOTABLE:
        raise RegistryError(
            f"{row.id} has not been evaluated (status {row.status}); run "
            f"`helpbot models evaluate {row.id}` first"
        )
    if row.kind == "adapter":
        live_base = live_base_model(session)
        if live_base and not same_base(row.base_model, live_base):
            raise RegistryError(
                f"{row.id} was trained on {row.base_model!r} but answers run on {live_base!r}; "
                "retrain it on the live base model"
            )
        _check_adapter_folder(row)
    report = session.scalars(
        select(EvaluationReportRow)
        .where(EvaluationReportRow.version_id == row.id)
        .order_by(EvaluationReportRow.id.desc())
        .limit(1)
    ).first()
    if report is not None and report.passed:
        return
    if not force:
        failed = (
            [
                r["rule"]
                for r in report.report.get("gate", {}).get("rules", [])
                if not r.get("passed")
            ]
            if report
            else []
        )
        raise RegistryError(
            f"{row.id} did not pass the promotion gate"
            + (f" (failed: {', '.join(failed)})" if failed else "")
            + "; promoting it anyway needs --force and a --reason"
        )
    if not reason.strip():
        raise RegistryError("a forced promotion needs a reason, recorded in the history")


def _check_adapter_folder(row: ModelVersion) -> None:
    from knowledge.generation.adapters import read_adapter
    from knowledge.generation.base import AdapterError

    try:
        read_adapter(Path(row.adapter_path or ""))
    except AdapterError as error:
        raise RegistryError(f"{row.id} cannot be promoted: {error}") from error


def _switch(
    session: Session, target: ModelVersion, *, action: str, actor: str, forced: bool, reason: str
) -> PromotionInfo:
    pointer = session.get(LivePointer, LIVE_SLOT, with_for_update=True)
    if pointer is None:
        raise RegistryError("the registry is not bootstrapped yet")
    previous = session.get(ModelVersion, pointer.version_id)
    if previous is not None and previous.id != target.id:
        previous.status = "retired"
    now = utcnow()
    pointer.version_id, pointer.changed_at = target.id, now
    target.status, target.promoted_by, target.promoted_at = "live", actor, now
    entry = Promotion(
        from_version=previous.id if previous else None,
        to_version=target.id,
        action=action,
        forced=forced,
        reason=reason,
        actor=actor,
        at=now,
    )
    session.add(entry)
    logger.info("%s: %s -> %s", action, entry.from_version, target.id)
    return PromotionInfo(entry.from_version, target.id, action, forced, reason, actor, now)


def promote(
    db: Database, version_id: str, *, actor: str, force: bool = False, reason: str = ""
) -> PromotionInfo:
    """Make `version_id` live. Raises RegistryError (nothing changes) when it may not be."""
    with db.session() as session:
        row = _get(session, version_id)
        check_promotable(session, row, force=force, reason=reason)
        passed_gate = not force or _passed(session, version_id)
        return _switch(
            session, row, action="promote", actor=actor, forced=not passed_gate, reason=reason
        )


def _passed(session: Session, version_id: str) -> bool:
    report = session.scalars(
        select(EvaluationReportRow.passed)
        .where(EvaluationReportRow.version_id == version_id)
        .order_by(EvaluationReportRow.id.desc())
        .limit(1)
    ).first()
    return bool(report)


def rollback(db: Database, *, actor: str, reason: str = "", to: str | None = None) -> PromotionInfo:
    """Make the previously live version (or `to`, one that was live before) live again."""
    with db.session() as session:
        pointer = session.get(LivePointer, LIVE_SLOT)
        if pointer is None:
            raise RegistryError("the registry is not bootstrapped yet")
        if to is None:
            last = session.scalars(
                select(Promotion)
                .where(Promotion.to_version == pointer.version_id)
                .order_by(Promotion.id.desc())
                .limit(1)
            ).first()
            if last is None or last.from_version is None:
                raise RegistryError(f"{pointer.version_id} has no earlier version to go back to")
            to = last.from_version
        target = _get(session, to)
        if target.id == pointer.version_id:
            raise RegistryError(f"{target.id} is already live")
        if target.status != "retired":
            raise RegistryError(
                f"{target.id} was never live (status {target.status}); promote it instead"
            )
        if target.kind == "adapter":
            _check_adapter_folder(target)
        return _switch(session, target, action="rollback", actor=actor, forced=False, reason=reason)
