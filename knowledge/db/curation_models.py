"""SQL tables of curation items, their history, opt-outs and dataset versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.db.document_models import Base, utcnow

STATES = ("new", "approved", "rejected", "needs_correction")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("approved", "rejected", "needs_correction"),
    "needs_correction": ("approved", "rejected", "new"),
    "approved": ("rejected", "needs_correction", "new"),
    "rejected": ("approved", "new", "needs_correction"),
}
"""Which state an item may move to from each state (a move to the same state is refused)."""
SOURCES = ("exchange", "golden", "synthetic")
LABELS = ("positive", "negative", "corrected", "unrated")
"""What people said about an item's answer: thumbs-up, thumbs-down without a correction, a
correction (replaces the answer as the target), or nothing yet."""


class CurationItem(Base):
    """One question with a candidate answer, reviewed by an admin before it may be trained on."""

    __tablename__ = "curation_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    """Idempotence key: 'exchange:<id>', 'golden:<sha>', 'synthetic:<sha>'."""
    source: Mapped[str] = mapped_column(String(20), index=True)
    """exchange | golden | synthetic (see SOURCES)."""
    kind: Mapped[str] = mapped_column(String(30), default="")
    """Synthetic kind (amount, duration, ..., unanswerable); the exchange's status otherwise."""
    state: Mapped[str] = mapped_column(String(20), default="new", index=True)
    label: Mapped[str] = mapped_column(String(20), default="unrated")
    """positive | negative | corrected | unrated (see LABELS)."""
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), unique=True
    )
    asker_id: Mapped[str | None] = mapped_column(String(32), index=True)
    """Slack user id of who asked (opt-outs apply to it); None for golden and synthetic."""
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    """The bot's answer, the admin's golden answer or the synthetic answer."""
    correction: Mapped[str | None] = mapped_column(Text)
    """The right answer when someone corrected it: replaces `answer` as the training target."""
    corrected_by: Mapped[str | None] = mapped_column(String(200))
    answerable: Mapped[bool] = mapped_column(Boolean, default=True)
    """False: the target is the abstention reply."""
    fact: Mapped[str] = mapped_column(Text, default="")
    """The key fact a synthetic answer holds (hard negatives must not contain it)."""
    passages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """The passages the answer was made from, in prompt order (an exchange's snapshot)."""
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    downvotes: Mapped[int] = mapped_column(Integer, default=0)
    model_version: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    events: Mapped[list[CurationEvent]] = relationship(
        back_populates="item", order_by="CurationEvent.id", cascade="all, delete-orphan"
    )


class CurationEvent(Base):
    """One change of an item: who, when, from which state to which, and why."""

    __tablename__ = "curation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("curation_items.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(30))
    """created | approve | reject | needs_correction | reopen | correct | votes"""
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[CurationItem] = relationship(back_populates="events")


class OptOut(Base):
    """A person who asked that their exchanges never be used for training."""

    __tablename__ = "opt_outs"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DatasetVersion(Base):
    """An immutable training dataset written under data_dir/datasets/<id>."""

    __tablename__ = "dataset_versions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 of the example files, in a fixed order: equal hash, equal data."""
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Examples per split, source and label."""
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The options it was built with and what each filter removed."""
    item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    """The curation items it holds (for `dataset diff`)."""
    built_by: Mapped[str] = mapped_column(String(200))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
