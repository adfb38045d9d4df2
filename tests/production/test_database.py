"""Fixes 6 and 7: SQL errors carry no bound values; processes migrating at once take turns."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from knowledge.db.connection import Database

PRIVATE = "how do I report my manager for harassment"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (PostgreSQL: a throw-away one on the test server)."""
    if request.param == "postgresql":
        yield request.getfixturevalue("postgres_url")
    else:
        yield f"sqlite:///{tmp_path / 'helpbot.db'}"


def test_an_sql_error_names_the_statement_but_not_the_values_bound_to_it(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(database_url)
    with pytest.raises(SQLAlchemyError) as raised, db.session() as session:
        session.execute(text("INSERT INTO no_such_table (question) VALUES (:q)"), {"q": PRIVATE})
    message = str(raised.value)
    assert "no_such_table" in message
    assert PRIVATE not in message and "harassment" not in message
    db.dispose()


def test_processes_migrating_at_once_take_turns_and_all_succeed(database_url: str) -> None:
    processes = [Database(database_url) for _ in range(4)]
    start = threading.Barrier(len(processes))

    def migrate(db: Database) -> None:
        start.wait()
        db.upgrade()

    with ThreadPoolExecutor(len(processes)) as pool:
        list(pool.map(migrate, processes))  # re-raises the first failure
    with processes[0].engine.connect() as connection:
        heads = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        tables = set(inspect(connection).get_table_names())
    assert len(heads) == 1
    assert {"documents", "slack_events", "jobs", "model_versions"} <= tables
    for db in processes:
        db.dispose()


def test_migration_0011_matches_its_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from knowledge.db.document_models import Base
    from tests.pipelines.test_migration import _table_of

    db = Database(database_url)
    db.upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if _table_of(d) == "source_exclusions"] == []
    with db.engine.connect() as connection:
        assert "source_exclusions" in inspect(connection).get_table_names()
    db.dispose()
