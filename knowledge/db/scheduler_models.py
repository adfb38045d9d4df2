"""SQL tables of the freshness scheduler: watched sources, job runs, leases, owner notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.db.document_models import Base, utcnow

APSCHEDULER_TABLE = "apscheduler_jobs"

# APScheduler's SQLAlchemyJobStore owns this table's contents (pickled job state); it is
# declared here, column for column as the job store defines it, so that Alembic creates and
# migrates it like every other table instead of the job store creating it on first start.
apscheduler_jobs = Table(
    APSCHEDULER_TABLE,
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class WatchedSource(Base):
    """A folder (synced drive, git checkout) or an HTTP(S) URL the scheduler keeps indexed."""

    __tablename__ = "watched_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location: Mapped[str] = mapped_column(String(1000), unique=True)
    """An absolute folder path or an http(s) URL, as the re-index job reads it."""
    kind: Mapped[str] = mapped_column(String(10))
    """folder | http"""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    added_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the re-index job last looked at the source, whatever it found."""
    status: Mapped[str] = mapped_column(String(10), default="new")
    """new | ok | partial (some files failed) | error (the source itself could not be read)"""
    last_error: Mapped[str | None] = mapped_column(Text)


class WatchedFile(Base):
    """What the last check saw of one item of a source: enough to skip it when untouched."""

    __tablename__ = "watched_files"
    __table_args__ = (UniqueConstraint("source_id", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("watched_sources.id", ondelete="CASCADE"), index=True
    )
    uri: Mapped[str] = mapped_column(String(1000))
    """The document's source URI (file:///... or the URL)."""
    document_id: Mapped[str | None] = mapped_column(String(120))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobRun(Base):
    """One run of a scheduled or manual job, for the console's schedule page."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(50), index=True)
    """reindex | review | rebuild"""
    trigger: Mapped[str] = mapped_column(String(20))
    """schedule | manual | startup"""
    holder: Mapped[str] = mapped_column(String(200))
    """Which process ran it (host:pid:random)."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str] = mapped_column(String(20), default="running")
    """running | ok | partial | failed | missed (past its grace time) | skipped (still running)"""
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Lease(Base):
    """A named lock with an expiry: the scheduler leader, or the one re-index writing at a time."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """An outbox row: a Slack message to an owner (the bot process claims, sends and records it)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(200))
    """The document's owner as written in its front matter: an email (looked up in Slack), a
    Slack user id (U.../W...), or a channel (#name, C.../G...)."""
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    """review_due | review_expired"""
    document_id: Mapped[str | None] = mapped_column(String(120))
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    """The same reminder is never queued twice, however often the daily job runs."""
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    """pending | sending (claimed by a bot replica) | sent | failed (for good: see error) |
    withdrawn (a review reminder made moot by a confirmed review)"""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    """Why the last attempt failed (a Slack error code and what to do); never message text."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Delivery attempts so far: every claim counts one, and the bot gives up after a cap."""
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """A pending row is not claimed before this (Slack's Retry-After, or a back-off)."""
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    """The bot replica (host:pid) that claimed it last."""
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When it was claimed; a claim left 'sending' for long (its replica died) is taken over."""
    channel: Mapped[str | None] = mapped_column(String(50))
    """The Slack conversation it was posted to (a D... DM, or a channel)."""
    message_ts: Mapped[str | None] = mapped_column(String(30))
    """The ts Slack gave the posted message."""
