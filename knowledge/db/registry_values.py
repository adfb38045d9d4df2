"""Plain values of the model registry: version ids, its error, and what callers are handed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from knowledge.db.registry_models import ModelVersion

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


def version_info(row: ModelVersion) -> VersionInfo:
    return VersionInfo(**{name: getattr(row, name) for name in VersionInfo.__dataclass_fields__})


def get_row(session: Session, version_id: str) -> ModelVersion:
    row = session.get(ModelVersion, version_id)
    if row is None:
        raise RegistryError(f"no model version {version_id!r}; `helpbot models list` shows them")
    return row
