"""Migration 0006 creates exactly the curation tables the models declare, and goes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from knowledge.db.connection import Database, alembic_config, upgrade_database
from knowledge.db.document_models import Base

TABLES = {"curation_items", "curation_events", "opt_outs", "dataset_versions"}


def _about_ours(diff: object) -> bool:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        name = getattr(getattr(part, "table", None), "name", None) or getattr(part, "name", None)
        if part in TABLES or name in TABLES:
            return True
    return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        yield request.getfixturevalue("postgres_url")
    else:
        yield f"sqlite:///{tmp_path / 'helpbot.db'}"


def test_the_migration_matches_the_models(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if _about_ours(d)] == []
    db.dispose()


def test_0006_goes_back_to_0005_and_up_again(database_url: str) -> None:
    db = Database(database_url)
    upgrade_database(db.engine, "0006")
    command.downgrade(alembic_config(db.engine), "0005")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    upgrade_database(db.engine, "0006")
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    db.dispose()
