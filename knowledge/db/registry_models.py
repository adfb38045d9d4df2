"""SQL tables of the model registry: answerer versions, evaluation reports and promotions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.db.document_models import Base, utcnow

LIVE_SLOT = "default"
"""The one live pointer row every answering process polls."""


class ModelVersion(Base):
    """One answerer the registry knows: the extractive quoter, the base model, or an adapter."""

    __tablename__ = "model_versions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """"extractive", "base" or "v1", "v2", ... for adapters."""
    kind: Mapped[str] = mapped_column(String(20))
    """extractive | base | adapter"""
    base_model: Mapped[str] = mapped_column(String(500), default="")
    """The base model (folder or hub id) the version runs on; "" for extractive."""
    base_revision: Mapped[str] = mapped_column(String(200), default="")
    """A hub revision or a hash of the base model's config, when known."""
    adapter_path: Mapped[str | None] = mapped_column(String(1000))
    dataset_version_id: Mapped[str | None] = mapped_column(String(64))
    dataset_hash: Mapped[str | None] = mapped_column(String(64))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    code_version: Mapped[str] = mapped_column(String(100), default="")
    """git sha or package version of the code that trained it."""
    status: Mapped[str] = mapped_column(String(20), default="candidate", index=True)
    """candidate | evaluating | evaluated | failed | live | retired"""
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """{"training": {...}, "evaluation": {...}} as they become known."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the version failed (evaluation crash, corrupt adapter)."""
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    promoted_by: Mapped[str | None] = mapped_column(String(200))
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LivePointer(Base):
    """Which version answers now: one row per slot, read by primary key every few seconds."""

    __tablename__ = "model_live"

    slot: Mapped[str] = mapped_column(String(32), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("model_versions.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvaluationReportRow(Base):
    """One evaluation of a candidate against the live answerer and the base model."""

    __tablename__ = "evaluation_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    live_version_id: Mapped[str | None] = mapped_column(String(64))
    """What was live when it was evaluated (the comparison the gate made)."""
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    """The gate's verdict."""
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Figures per answerer and per source, wins and losses, the gate's rules."""
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Promotion(Base):
    """History of the live pointer: every promotion and rollback, who, when and why."""

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    from_version: Mapped[str | None] = mapped_column(String(64))
    to_version: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    """bootstrap | promote | rollback"""
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
