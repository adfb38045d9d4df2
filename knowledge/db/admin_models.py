"""SQL tables of console admin users and failed-login throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.db.document_models import Base, utcnow


class AdminUser(Base):
    """One person who may log in to the admin console; the password is stored only hashed."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    """Login name, stored lower-case."""
    password_hash: Mapped[str] = mapped_column(String(300))
    """An argon2id hash (argon2-cffi's encoded form: parameters, salt and digest)."""
    role: Mapped[str] = mapped_column(String(20))
    """viewer | editor | trainer | owner (each includes the rights of the ones before it)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="cli")
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed logins per login name (known or not) in the current window, and a lock-out."""

    __tablename__ = "admin_login_throttle"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    """The login name tried, lower-case (an unknown name is throttled the same way)."""
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
