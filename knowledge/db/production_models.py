"""SQL tables of the production fixes: files excluded from a watched source."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.db.document_models import Base, utcnow


class SourceExclusion(Base):
    """A file a watched source still holds but helpbot must not index (an admin deleted its
    document and chose to exclude it rather than remove the file at the source)."""

    __tablename__ = "source_exclusions"
    __table_args__ = (UniqueConstraint("source_id", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("watched_sources.id", ondelete="CASCADE"), index=True
    )
    uri: Mapped[str] = mapped_column(String(1000))
    """The file's URI (file:///...), as the source's scan names it."""
    excluded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
