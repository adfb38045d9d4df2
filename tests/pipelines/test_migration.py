"""Migration 0003 creates exactly the scheduler's tables as the models declare them."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from knowledge.db.engine import Database
from knowledge.db.models import Base
from knowledge.db.scheduler_models import APSCHEDULER_TABLE

SCHEDULER_TABLES = {
    APSCHEDULER_TABLE,
    "watched_sources",
    "watched_files",
    "job_runs",
    "leases",
    "notifications",
}


def test_the_migration_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    db.upgrade()
    assert set(inspect(db.engine).get_table_names()) >= SCHEDULER_TABLES
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if _table_of(d) in SCHEDULER_TABLES]
    assert ours == []
    db.dispose()


def _table_of(diff: object) -> str | None:
    """The table a compare_metadata entry is about: ('add_column', schema, 'table', column),
    ('add_table', Table), ('add_index', Index), or a list of ('modify_*', ...) tuples."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        if isinstance(part, str) and part in SCHEDULER_TABLES:
            return part
        table = getattr(part, "table", None)
        name = getattr(table, "name", None) or getattr(part, "name", None)
        if isinstance(name, str) and name in SCHEDULER_TABLES:
            return name
    return None
