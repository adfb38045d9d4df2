"""Paged, filtered queries behind the admin console's tables: documents and exchanges.

Every page is one LIMIT/OFFSET query plus one COUNT: a console page never loads a table whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from knowledge.db.conversation_models import Conversation, Exchange, Vote
from knowledge.db.document_models import Document

T = TypeVar("T")
MAX_PAGE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows, the total matching, and where it starts (0-based page number)."""

    rows: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _bounded(page: int, size: int) -> tuple[int, int]:
    size = min(max(size, 1), MAX_PAGE)
    return max(page, 0), size


def _page(session: Session, query: Select[Any], page: int, size: int) -> Page[Any]:
    page, size = _bounded(page, size)
    # COUNT over the same FROM and WHERE, not over a sub-select of every column: the wide
    # JSON columns of exchanges are never read for the total.
    counting = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    total = int(session.scalar(counting) or 0)
    rows = list(session.scalars(query.offset(page * size).limit(size)))
    return Page(rows, total, page, size)


def document_page(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    include_deleted: bool = False,
    page: int = 0,
    size: int = 25,
) -> Page[Document]:
    """Documents ordered by title whose id, title, owner or source contains `search`."""
    query = select(Document)
    if search.strip():
        needle = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Document.id).like(needle),
                func.lower(Document.title).like(needle),
                func.lower(func.coalesce(Document.owner, "")).like(needle),
                func.lower(Document.source_uri).like(needle),
            )
        )
    if status:
        query = query.where(Document.status == status)
    elif not include_deleted:
        query = query.where(Document.status != "deleted")
    return _page(session, query.order_by(Document.title, Document.id), page, size)


@dataclass(frozen=True)
class ExchangeFilter:
    """What the Conversations tab filters on; every field narrows the list."""

    thumbs_down: bool = False
    abstained: bool = False
    grounding_failed: bool = False
    unanswered: bool = False
    """Failed or still pending (no answer reached the asker)."""
    stale: bool = False
    """The answer cited a document that was past its review date."""
    channel_kinds: Sequence[str] = field(default_factory=tuple)
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""


def exchange_page(
    session: Session, filters: ExchangeFilter, *, page: int = 0, size: int = 25
) -> Page[Exchange]:
    """Exchanges newest first, narrowed by `filters`."""
    query = select(Exchange)
    if filters.thumbs_down:
        query = query.where(exists().where(Vote.exchange_id == Exchange.id, Vote.value < 0))
    if filters.abstained:
        query = query.where(Exchange.abstained.is_(True))
    if filters.grounding_failed:
        query = query.where(Exchange.grounding_failed.is_(True))
    if filters.unanswered:
        query = query.where(Exchange.status.in_(("failed", "pending")))
    if filters.stale:
        # Citations are a JSON list; a stale one is rendered '"stale": true' on both dialects.
        text = func.replace(func.cast(Exchange.citations, _text_type()), " ", "")
        query = query.where(text.like('%"stale":true%'))
    if filters.channel_kinds:
        query = query.join(Conversation, Conversation.id == Exchange.conversation_id).where(
            Conversation.kind.in_(list(filters.channel_kinds))
        )
    if filters.since is not None:
        query = query.where(Exchange.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Exchange.created_at < filters.until)
    if filters.search.strip():
        query = query.where(func.lower(Exchange.question).like(f"%{filters.search.lower()}%"))
    return _page(session, query.order_by(Exchange.id.desc()), page, size)


def _text_type() -> Any:
    from sqlalchemy import Text

    return Text()


def vote_totals(session: Session, exchange_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """exchange id -> (thumbs up, thumbs down) for one page of exchanges."""
    if not exchange_ids:
        return {}
    rows = session.execute(
        select(
            Vote.exchange_id,
            func.count(),
            Vote.value,
        )
        .where(Vote.exchange_id.in_(list(exchange_ids)))
        .group_by(Vote.exchange_id, Vote.value)
    )
    totals: dict[int, tuple[int, int]] = {}
    for exchange_id, count, value in rows:
        up, down = totals.get(exchange_id, (0, 0))
        totals[exchange_id] = (up + count, down) if value > 0 else (up, down + count)
    return totals


def corrections(session: Session, exchange_ids: Sequence[int]) -> dict[int, list[str]]:
    """exchange id -> the corrections people sent for it (from the correction modal)."""
    if not exchange_ids:
        return {}
    rows = session.execute(
        select(Vote.exchange_id, Vote.correction).where(
            Vote.exchange_id.in_(list(exchange_ids)), Vote.correction.is_not(None)
        )
    )
    found: dict[int, list[str]] = {}
    for exchange_id, text in rows:
        found.setdefault(exchange_id, []).append(str(text))
    return found


def watching_sources(session: Session, document_id: str) -> list[str]:
    """Locations of the watched sources whose last check saw this document's file."""
    from knowledge.db.scheduler_models import WatchedFile, WatchedSource

    rows = session.scalars(
        select(WatchedSource.location)
        .join(WatchedFile, WatchedFile.source_id == WatchedSource.id)
        .where(WatchedFile.document_id == document_id)
    )
    return sorted(set(rows))


@dataclass(frozen=True)
class ItemState:
    """The curation item of one exchange as a console row shows it."""

    item_id: int
    state: str
    label: str
    correction: str | None
    updated_at: datetime


def curation_states(session: Session, exchange_ids: Sequence[int]) -> dict[int, ItemState]:
    """exchange id -> its curation item (state, label, correction), for one page."""
    from knowledge.db.curation_models import CurationItem

    if not exchange_ids:
        return {}
    rows = session.scalars(
        select(CurationItem).where(CurationItem.exchange_id.in_(list(exchange_ids)))
    )
    return {
        int(item.exchange_id): ItemState(
            item.id, item.state, item.label, item.correction, item.updated_at
        )
        for item in rows
        if item.exchange_id is not None
    }
