"""Model registry queries: versions and their lineage, the live pointer, reports, promotions.

The live answerer is whatever `model_live` points at. A fresh registry holds the extractive
answerer (live) and the base model (a candidate): what is live afterwards is chosen by
evaluation. Promotion refuses unevaluated, failed or mismatched versions and, unless forced
with a reason, versions whose last evaluation did not pass the gate.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from knowledge.db.connection import Database
from knowledge.db.document_models import utcnow
from knowledge.db.promotion import (
    check_promotable,
    live_base_model,
    promote,
    rollback,
    same_base,
)
from knowledge.db.registry_models import (
    LIVE_SLOT,
    EvaluationReportRow,
    LivePointer,
    ModelVersion,
    Promotion,
)
from knowledge.db.registry_values import (
    BASE_ID,
    EXTRACTIVE_ID,
    PROMOTABLE,
    PromotionInfo,
    RegistryError,
    ReportInfo,
    VersionInfo,
    get_row,
    version_info,
)
from knowledge.generation.model_files import SHIPPED_MODEL_NAME

logger = logging.getLogger(__name__)

__all__ = [
    "BASE_ID",
    "EXTRACTIVE_ID",
    "PROMOTABLE",
    "PromotionInfo",
    "RegistryError",
    "ReportInfo",
    "VersionInfo",
    "check_promotable",
    "ensure_bootstrap",
    "get_version",
    "latest_report",
    "list_versions",
    "live_base_model",
    "live_version",
    "live_version_id",
    "mark_evaluating",
    "mark_failed",
    "promote",
    "promotions",
    "register_candidate",
    "rollback",
    "same_base",
    "save_report",
]


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
        return version_info(get_row(session, pointer.version_id)) if pointer else None


def get_version(db: Database, version_id: str) -> VersionInfo:
    with db.session() as session:
        return version_info(get_row(session, version_id))


def list_versions(db: Database) -> list[VersionInfo]:
    with db.session() as session:
        rows = session.scalars(select(ModelVersion).order_by(ModelVersion.created_at))
        return [version_info(row) for row in rows]


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
        row = get_row(session, version_id)
        if row.status in ("candidate", "evaluated", "failed"):
            row.status = "evaluating"
            row.error = None


def mark_failed(db: Database, version_id: str, error: str) -> None:
    """The version cannot serve (evaluation crashed, adapter corrupt): never promotable."""
    with db.session() as session:
        row = get_row(session, version_id)
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
        row = get_row(session, version_id)
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
