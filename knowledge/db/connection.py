"""Connecting to SQL: engines (SQLite in WAL mode, or PostgreSQL), sessions, locked migrations."""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# One key for every helpbot process migrating one PostgreSQL database (any constant bigint).
MIGRATION_LOCK_KEY = 0x68656C70626F74  # "helpbot"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: an SQL error names the statement, never the values bound to it
        # (question text, user ids), so nothing private reaches logs or exchanges.error.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets the bot read while the scheduler writes; readers never block writers.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


class Database:
    """An engine and its session factory; `session()` is a unit of work that commits."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Apply every Alembic migration (idempotent): run at start-up by every process, one
        at a time (the others wait for the lock, then find nothing left to do)."""
        with migration_lock(self.engine):
            upgrade_database(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating: a PostgreSQL advisory lock (session-level, released if the process
    dies), or an exclusive lock on a file beside a SQLite database."""
    started = time.monotonic()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            _waited(started)
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _waited(started)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _waited(started: float) -> None:
    waited = time.monotonic() - started
    if waited > 1.0:
        log.info("waited %.1f s for another process's migration", waited)


class DatabaseUnavailableError(RuntimeError):
    """The database did not answer within the start-up wait; the message says where and why."""


def wait_for_database(
    url: str,
    *,
    timeout_s: float,
    interval_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once `SELECT 1` succeeds; retry (a container starting beside the database)
    until `timeout_s`, then raise DatabaseUnavailableError naming the server without its
    password and the last error's kind."""
    shown = make_url(url).render_as_string(hide_password=True)
    engine = create_engine(url, hide_parameters=True, poolclass=NullPool)
    deadline, attempt = time.monotonic() + timeout_s, 0
    try:
        while True:
            attempt += 1
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                if attempt > 1:
                    log.info("database reachable after %d attempts", attempt)
                return
            except SQLAlchemyError as exc:
                reason = type(getattr(exc, "orig", None) or exc).__name__
                if time.monotonic() + interval_s > deadline:
                    raise DatabaseUnavailableError(
                        f"the database at {shown} is not reachable ({reason}) after "
                        f"{attempt} attempts in {timeout_s:.0f} s: is it running, and is "
                        "HELPBOT_DATABASE_URL right?"
                    ) from None
                log.warning("database at %s not reachable yet (%s); retrying", shown, reason)
                sleep(interval_s)
    finally:
        engine.dispose()


def alembic_config(engine: Engine | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("knowledge.db") / "migrations"))
    if engine is not None:
        config.attributes["engine"] = engine
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade_database(engine: Engine, revision: str = "heads") -> None:
    # Alembic's INFO lines (plugins, each revision) say nothing a person must act on: shown
    # only when debugging (HELPBOT_LOG_LEVEL=DEBUG). Set before alembic is first imported.
    debugging = logging.getLogger().isEnabledFor(logging.DEBUG)
    logging.getLogger("alembic").setLevel(logging.NOTSET if debugging else logging.WARNING)
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
    log.debug("database at %s", revision)
