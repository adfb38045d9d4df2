"""Queries on dataset versions: record, find, list and compare immutable training datasets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.db.curation_models import DatasetVersion


class DatasetNotFoundError(LookupError):
    """No dataset version has that id."""


def add_dataset_version(session: Session, version: DatasetVersion) -> DatasetVersion:
    session.add(version)
    session.flush()
    return version


def dataset_by_hash(session: Session, content_hash: str) -> DatasetVersion | None:
    return session.scalar(select(DatasetVersion).where(DatasetVersion.content_hash == content_hash))


def get_dataset(session: Session, dataset_id: str) -> DatasetVersion:
    found = session.get(DatasetVersion, dataset_id)
    if found is None:
        raise DatasetNotFoundError(f"There is no dataset version {dataset_id!r}.")
    return found


def list_datasets(session: Session, *, limit: int = 100) -> list[DatasetVersion]:
    return list(
        session.scalars(
            select(DatasetVersion).order_by(DatasetVersion.built_at.desc()).limit(limit)
        )
    )


def diff_datasets(session: Session, old_id: str, new_id: str) -> dict[str, Any]:
    """What changed between two dataset versions: items added and removed, counts before/after."""
    old, new = get_dataset(session, old_id), get_dataset(session, new_id)
    before, after = set(old.item_ids), set(new.item_ids)
    return {
        "old": old.id,
        "new": new.id,
        "added_items": sorted(after - before),
        "removed_items": sorted(before - after),
        "kept_items": len(before & after),
        "counts": {"old": old.counts, "new": new.counts},
        "same_content": old.content_hash == new.content_hash,
    }
