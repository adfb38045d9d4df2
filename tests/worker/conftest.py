"""Fixtures of the worker tests: a migrated database on SQLite, and on PostgreSQL when one is set.

PostgreSQL runs when HELPBOT_TEST_POSTGRES_URL names a server (a throw-away database is
created per test), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from knowledge.db.connection import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database's URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'helpbot.db'}"
        Database(url).upgrade()
        yield url
        return
    server = os.environ.get("HELPBOT_TEST_POSTGRES_URL", "")
    if not server:
        pytest.skip("HELPBOT_TEST_POSTGRES_URL is not set")
    name = f"helpbot_worker_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = server.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrated = Database(url)
        migrated.upgrade()
        migrated.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()
