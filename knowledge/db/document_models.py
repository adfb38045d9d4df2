"""SQL tables (SQLAlchemy 2.0 declarative): every column declared, Alembic migrates them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every one we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every helpbot table."""


class Document(Base):
    """A policy document as the registry knows it: one row per source, whatever its versions."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    source_uri: Mapped[str] = mapped_column(String(1000), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    owner: Mapped[str | None] = mapped_column(String(200))
    audiences: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["everyone"])
    review_by: Mapped[date | None] = mapped_column(Date)
    """After this date answers flag the document as possibly out of date (the daily check)."""
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When someone last confirmed the live version still correct (`helpbot docs review`)."""
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    """Who confirmed it, as they named themselves."""
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    """pending | active | failed | deleted | stale"""
    live_version: Mapped[int | None] = mapped_column(Integer)
    """The version answers are served from; None while nothing is indexed."""
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Last time a re-index looked at the source, changed or not."""

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.version", cascade="all, delete-orphan"
    )


class DocumentVersion(Base):
    """One ingested content of a document: what was read, how it was chunked and embedded."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    doc_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500), default="")
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    embedding_model: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="indexing")
    """indexing | live | superseded | failed"""
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")


class AuditEvent(Base):
    """Who did what to which object, for admins and incident review."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
