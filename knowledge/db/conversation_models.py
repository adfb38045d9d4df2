"""SQL tables of the Slack conversations: threads, questions with their answers, votes, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.db.document_models import Base, utcnow

# Slack ids (T.., C.., U..) and message timestamps ("1700000000.000100") fit comfortably.
SLACK_ID = 32


class Conversation(Base):
    """One Slack thread the bot takes part in (or one private slash-command answer)."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "thread_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    thread_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    """The thread's root message ts; None for a private slash-command answer (no thread)."""
    kind: Mapped[str] = mapped_column(String(20))
    """channel | dm | assistant | command: where the conversation happens."""
    started_by: Mapped[str] = mapped_column(String(SLACK_ID))
    """Slack user id of whoever asked first (an id, never a name)."""
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    exchanges: Mapped[list[Exchange]] = relationship(
        back_populates="conversation", order_by="Exchange.id", cascade="all, delete-orphan"
    )


class Exchange(Base):
    """One question and the bot's answer to it, with everything needed to review or train on it."""

    __tablename__ = "exchanges"
    __table_args__ = (Index("ix_exchanges_asker_created", "asker_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    """Short id shown to the asker on failures and written in every log line about it."""
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(20))
    """mention | thread | dm | assistant | command: how the question reached the bot."""
    asker_id: Mapped[str] = mapped_column(String(SLACK_ID))
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Audiences the answer could draw on (['everyone'] in channels)."""
    question_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    """ts of the asker's Slack message; None for slash commands."""
    question: Mapped[str] = mapped_column(Text)
    standalone_question: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    """pending | answered | abstained | failed | rate_limited"""
    answer: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    passages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Snapshot of everything retrieved for the question, with scores."""
    confidence: Mapped[float | None] = mapped_column(Float)
    abstained: Mapped[bool] = mapped_column(Boolean, default=False)
    grounding_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(String(200), default="")
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    """Seconds per stage (queued, the engine's stages, total)."""
    answer_ts: Mapped[str | None] = mapped_column(String(SLACK_ID), index=True)
    """ts of the bot's answer message (reactions on it are votes); None while ephemeral."""
    visibility: Mapped[str] = mapped_column(String(20), default="thread")
    """thread (everyone in the conversation sees it) | private | shared (private, then shared)."""
    error: Mapped[str | None] = mapped_column(Text)
    """What went wrong (an exception class and message), for failed answers."""
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    conversation: Mapped[Conversation] = relationship(back_populates="exchanges")
    votes: Mapped[list[Vote]] = relationship(
        back_populates="exchange", order_by="Vote.id", cascade="all, delete-orphan"
    )


class Vote(Base):
    """One person's feedback on one answer: +1 or -1, changeable; retracting deletes the row."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("exchange_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    value: Mapped[int] = mapped_column(Integer)
    """+1 helpful, -1 not helpful or wrong."""
    source: Mapped[str] = mapped_column(String(20))
    """reaction | button | correction: what set the current value."""
    reactions: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The person's feedback reactions still on the answer, oldest first."""
    correction: Mapped[str | None] = mapped_column(Text)
    """What the person says the right answer is (from the correction modal)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    exchange: Mapped[Exchange] = relationship(back_populates="votes")


class SlackEvent(Base):
    """An incoming Slack delivery already claimed by one bot replica: the de-duplication key."""

    __tablename__ = "slack_events"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    """e.g. 'msg:T1:C1:1700000000.000100' (one question) or 'event:Ev123' (one event)."""
    kind: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str | None] = mapped_column(String(64))
    handled_by: Mapped[str] = mapped_column(String(200))
    """Which replica (host:pid) claimed it."""
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
