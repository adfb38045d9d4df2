"""Migration 0008 creates exactly the registry's tables as declared, and goes back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from knowledge.db.connection import Database, alembic_config
from knowledge.db.document_models import Base

REGISTRY_TABLES = {"model_versions", "model_live", "evaluation_reports", "promotions"}


def _mentions_registry(diff: object) -> bool:
    return any(name in repr(diff) for name in REGISTRY_TABLES)


def test_the_migration_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    db.upgrade()
    assert set(inspect(db.engine).get_table_names()) >= REGISTRY_TABLES
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if _mentions_registry(d)] == []
    db.dispose()


def test_downgrade_removes_the_tables(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    command.upgrade(alembic_config(db.engine), "0008")
    command.downgrade(alembic_config(db.engine), "0007")
    assert not set(inspect(db.engine).get_table_names()) & REGISTRY_TABLES
    db.dispose()
