"""Promotion and rollback: the rules a version must meet to go live, and the pointer switch."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.db.connection import Database
from knowledge.db.document_models import utcnow
from knowledge.db.registry_models import (
    LIVE_SLOT,
    EvaluationReportRow,
    LivePointer,
    ModelVersion,
    Promotion,
)
from knowledge.db.registry_values import (
    BASE_ID,
    PROMOTABLE,
    PromotionInfo,
    RegistryError,
    get_row,
)

logger = logging.getLogger(__name__)


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
        row = get_row(session, version_id)
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
        target = get_row(session, to)
        if target.id == pointer.version_id:
            raise RegistryError(f"{target.id} is already live")
        if target.status != "retired":
            raise RegistryError(
                f"{target.id} was never live (status {target.status}); promote it instead"
            )
        if target.kind == "adapter":
            _check_adapter_folder(target)
        return _switch(session, target, action="rollback", actor=actor, forced=False, reason=reason)
