"""Admin users: argon2 hashes only, roles, the last owner, throttled logins, migration 0009."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from knowledge.db import admins
from knowledge.db.admin_models import AdminUser
from knowledge.db.connection import Database
from knowledge.db.document_models import AuditEvent, Base

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
OURS = {"admin_users", "admin_login_throttle"}


@pytest.fixture
def db(tier_database_url: str) -> Iterator[Database]:
    """SQLite, or PostgreSQL in `make test`'s database tier."""
    database = Database(tier_database_url)
    database.upgrade()
    yield database
    database.dispose()


def test_the_migration_creates_exactly_the_declared_tables(db: Database) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if OURS & set(map(str, _names(d)))] == []


def _names(diff: object) -> list[object]:
    item = diff[0] if isinstance(diff, list) else diff
    parts = list(item) if isinstance(item, tuple) else [item]
    return [getattr(getattr(p, "table", p), "name", p) for p in parts]


def test_only_an_argon2_hash_is_stored_and_it_verifies(db: Database) -> None:
    with db.session() as session:
        admins.add_user(session, "Olivia", PASSWORD, "owner", by="test")
    with db.session() as session:
        user = session.scalars(select(AdminUser)).one()
        assert user.name == "olivia"
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")
        assert admins.check_login(session, "OLIVIA", PASSWORD, now=NOW).ok
        assert not admins.check_login(session, "olivia", "wrong password!", now=NOW).ok


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("bad name!", PASSWORD, "owner", "not a usable login name"),
        ("ok", "short", "owner", "at least 10"),
        ("ok", PASSWORD, "root", "unknown role"),
    ],
)
def test_bad_users_are_refused_with_a_sentence(
    db: Database, name: str, password: str, role: str, message: str
) -> None:
    with db.session() as session, pytest.raises(admins.AdminError, match=message):
        admins.add_user(session, name, password, role, by="test")


def test_duplicates_and_the_last_owner_are_refused(db: Database) -> None:
    with db.session() as session:
        admins.add_user(session, "olivia", PASSWORD, "owner", by="test")
        with pytest.raises(admins.AdminError, match="already exists"):
            admins.add_user(session, "olivia", PASSWORD, "viewer", by="test")
        with pytest.raises(admins.AdminError, match="last owner"):
            admins.remove_user(session, "olivia", by="test")
        with pytest.raises(admins.AdminError, match="last owner"):
            admins.set_role(session, "olivia", "viewer", by="test")
        admins.add_user(session, "omar", PASSWORD, "owner", by="test")
        admins.remove_user(session, "olivia", by="omar")
        assert [u.name for u in admins.list_users(session)] == ["omar"]


def test_roles_include_the_rights_below_them() -> None:
    assert admins.has_role("owner", "trainer")
    assert admins.has_role("trainer", "editor")
    assert admins.has_role("editor", "viewer")
    assert not admins.has_role("viewer", "editor")
    assert not admins.has_role("editor", "trainer")
    assert not admins.has_role(None, "viewer")


def test_failed_logins_lock_the_name_then_expire(db: Database) -> None:
    policy = admins.ThrottlePolicy(
        max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=10)
    )
    with db.session() as session:
        admins.add_user(session, "olivia", PASSWORD, "owner", by="test")
    for minute in range(3):
        with db.session() as session:
            at = NOW + timedelta(minutes=minute)
            result = admins.check_login(session, "olivia", "nope nope nope", now=at, policy=policy)
            assert result.reason == "invalid"
    with db.session() as session:
        locked = admins.check_login(
            session, "olivia", PASSWORD, now=NOW + timedelta(minutes=3), policy=policy
        )
    assert (locked.ok, locked.reason) == (False, "locked")
    assert 0 < locked.retry_after_s <= 600
    with db.session() as session:
        later = admins.check_login(
            session, "olivia", PASSWORD, now=NOW + timedelta(minutes=13), policy=policy
        )
        assert later.ok
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("admin.login_failed") == 3
    assert "admin.login_locked" in actions and actions[-1] == "admin.login"


def test_unknown_names_are_throttled_too(db: Database) -> None:
    policy = admins.ThrottlePolicy(max_failures=2)
    with db.session() as session:
        for _ in range(2):
            admins.check_login(session, "mallory", "guess guess guess", now=NOW, policy=policy)
        assert (
            admins.check_login(session, "mallory", "x", now=NOW, policy=policy).reason == "locked"
        )


def test_a_new_password_clears_the_lock_and_replaces_the_old(db: Database) -> None:
    policy = admins.ThrottlePolicy(max_failures=1)
    with db.session() as session:
        admins.add_user(session, "olivia", PASSWORD, "owner", by="test")
        admins.check_login(session, "olivia", "wrong wrong wrong", now=NOW, policy=policy)
        admins.set_password(session, "olivia", "a brand new secret", by="omar", now=NOW)
        assert admins.check_login(
            session, "olivia", "a brand new secret", now=NOW, policy=policy
        ).ok
        assert not admins.check_login(session, "olivia", PASSWORD, now=NOW, policy=policy).ok
