"""Queries on console admin users: argon2 password hashes, roles, failed-login throttling."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.db.admin_models import AdminUser, LoginThrottle
from knowledge.db.document_models import as_utc
from knowledge.db.documents import audit

log = logging.getLogger(__name__)

ROLES = ("viewer", "editor", "trainer", "owner")
"""Each role includes the rights of the ones before it."""
Role = Literal["viewer", "editor", "trainer", "owner"]
MIN_PASSWORD = 10
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AdminError(ValueError):
    """A refused admin-user change; the message says why, for the person at the keyboard."""


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failed logins a name gets in a window before it is locked out, and for how long."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one login attempt: ok, a wrong name or password, or a lock-out."""

    ok: bool
    reason: Literal["ok", "invalid", "locked"]
    retry_after_s: int = 0
    role: str | None = None


def has_role(role: str | None, needed: str) -> bool:
    """True when `role` includes the rights of `needed` (owner > trainer > editor > viewer)."""
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def normalise_name(name: str) -> str:
    return name.strip().lower()


def _check_name(name: str) -> str:
    clean = normalise_name(name)
    if not NAME_PATTERN.match(clean):
        raise AdminError(
            f"{name!r} is not a usable login name: use letters, digits, '.', '_', '-' or '@' "
            "(at most 100 characters)"
        )
    return clean


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"the password must be at least {MIN_PASSWORD} characters long")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AdminError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def get_user(session: Session, name: str) -> AdminUser | None:
    return session.scalar(select(AdminUser).where(AdminUser.name == normalise_name(name)))


def list_users(session: Session) -> list[AdminUser]:
    return list(session.scalars(select(AdminUser).order_by(AdminUser.name)))


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AdminUser)) or 0)


def role_of(session: Session, name: str) -> str | None:
    """The user's current role, or None when no such user exists (any more)."""
    return session.scalar(select(AdminUser.role).where(AdminUser.name == normalise_name(name)))


def add_user(session: Session, name: str, password: str, role: str, *, by: str) -> AdminUser:
    """Create an admin; only the argon2 hash of the password is stored."""
    clean = _check_name(name)
    _check_password(password)
    _check_role(role)
    if get_user(session, clean) is not None:
        raise AdminError(f"an admin named {clean!r} already exists (use passwd to change it)")
    user = AdminUser(name=clean, password_hash=_hasher.hash(password), role=role, created_by=by)
    session.add(user)
    session.flush()
    audit(session, by, "admin.user_added", clean, role=role)
    return user


def _owners(session: Session) -> int:
    query = select(func.count()).select_from(AdminUser).where(AdminUser.role == "owner")
    return int(session.scalar(query) or 0)


def remove_user(session: Session, name: str, *, by: str) -> None:
    """Delete an admin; the last owner cannot be removed (someone must be able to add admins)."""
    user = get_user(session, name)
    if user is None:
        raise AdminError(f"no admin named {normalise_name(name)!r}")
    if user.role == "owner" and _owners(session) <= 1:
        raise AdminError(f"{user.name!r} is the last owner: add another owner first")
    session.delete(user)
    audit(session, by, "admin.user_removed", user.name)


def set_password(session: Session, name: str, password: str, *, by: str, now: datetime) -> None:
    user = get_user(session, name)
    if user is None:
        raise AdminError(f"no admin named {normalise_name(name)!r}")
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = now
    session.execute(
        LoginThrottle.__table__.delete().where(LoginThrottle.name == user.name)  # type: ignore[attr-defined]
    )
    audit(session, by, "admin.password_changed", user.name)


def set_role(session: Session, name: str, role: str, *, by: str) -> None:
    user = get_user(session, name)
    if user is None:
        raise AdminError(f"no admin named {normalise_name(name)!r}")
    _check_role(role)
    if user.role == "owner" and role != "owner" and _owners(session) <= 1:
        raise AdminError(f"{user.name!r} is the last owner: add another owner first")
    previous, user.role = user.role, role
    audit(session, by, "admin.role_changed", user.name, role=role, previous=previous)


def generate_password() -> str:
    """A random password for a first admin (printed once, stored only hashed)."""
    return secrets.token_urlsafe(15)


def check_login(
    session: Session,
    name: str,
    password: str,
    *,
    now: datetime,
    policy: ThrottlePolicy | None = None,
) -> LoginResult:
    """Verify a login, counting failures per name: after `max_failures` in `window` the name
    is locked for `lockout`, and during it even the right password is refused. Every attempt
    lands in the audit log (never the password)."""
    policy = policy or ThrottlePolicy()
    clean = normalise_name(name)[:100]
    throttle = session.get(LoginThrottle, clean)
    if throttle and throttle.locked_until and as_utc(throttle.locked_until) > now:
        wait = int((as_utc(throttle.locked_until) - now).total_seconds()) + 1
        audit(session, clean, "admin.login_locked", clean)
        return LoginResult(False, "locked", retry_after_s=wait)
    user = get_user(session, clean)
    if _verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None:
        if throttle is not None:
            session.delete(throttle)
        user.last_login_at = now
        audit(session, clean, "admin.login", clean)
        return LoginResult(True, "ok", role=user.role)
    if throttle is None:
        throttle = LoginThrottle(name=clean, failures=0, window_started_at=now)
        session.add(throttle)
    if as_utc(throttle.window_started_at) + policy.window < now:
        throttle.failures, throttle.window_started_at = 0, now
    throttle.failures += 1
    if throttle.failures >= policy.max_failures:
        throttle.locked_until = now + policy.lockout
        throttle.failures, throttle.window_started_at = 0, now
    audit(session, clean, "admin.login_failed", clean, known=user is not None)
    log.info("failed console login")
    return LoginResult(False, "invalid")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
