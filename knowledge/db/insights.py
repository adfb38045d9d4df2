"""Aggregate queries for the console's Insights charts: daily volumes, rates, latency, gaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import String, exists, func, or_, select
from sqlalchemy.orm import Session

from knowledge.db.conversation_models import Exchange, Vote
from knowledge.db.document_models import Document
from knowledge.topics import Topic, group_questions

SERVED = ("active", "stale")


@dataclass(frozen=True)
class DailyStats:
    """One day of questions: how many, how many answered / abstained / failed, votes, latency."""

    day: date
    questions: int = 0
    answered: int = 0
    abstained: int = 0
    failed: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None

    @property
    def answer_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def abstain_rate(self) -> float:
        return self.abstained / self.questions if self.questions else 0.0

    @property
    def thumbs_up_rate(self) -> float | None:
        votes = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / votes if votes else None


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def daily_stats(
    session: Session, *, today: date, days: int = 30, latency_sample: int = 5000
) -> list[DailyStats]:
    """One row per day of the last `days` days (empty days included), oldest first.

    Counts are grouped in SQL; latency percentiles come from the newest `latency_sample`
    answered exchanges of the window, so the page stays fast with any history.
    """
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time())
    # date() works on SQLite (a 'YYYY-MM-DD' string) and PostgreSQL (a date); _day reads both.
    day_of = func.date(Exchange.created_at, type_=String)
    counts: dict[date, dict[str, int]] = {}
    for day, status, abstained, n in session.execute(
        select(day_of, Exchange.status, Exchange.abstained, func.count())
        .where(Exchange.created_at >= since)
        .group_by(day_of, Exchange.status, Exchange.abstained)
    ):
        row = counts.setdefault(_day(day), {})
        row["questions"] = row.get("questions", 0) + n
        key = "abstained" if abstained or status == "abstained" else status
        if key in ("answered", "abstained", "failed"):
            row[key] = row.get(key, 0) + n
    for day, value, n in session.execute(
        select(day_of, Vote.value, func.count())
        .join(Exchange, Exchange.id == Vote.exchange_id)
        .where(Exchange.created_at >= since)
        .group_by(day_of, Vote.value)
    ):
        row = counts.setdefault(_day(day), {})
        key = "thumbs_up" if value > 0 else "thumbs_down"
        row[key] = row.get(key, 0) + n
    latencies: dict[date, list[float]] = {}
    for created, timings in session.execute(
        select(Exchange.created_at, Exchange.timings)
        .where(Exchange.created_at >= since, Exchange.status == "answered")
        .order_by(Exchange.id.desc())
        .limit(latency_sample)
    ):
        total = (timings or {}).get("total")
        if isinstance(total, int | float):
            latencies.setdefault(_day(created), []).append(float(total))
    rows = []
    for offset in range(days):
        moment = start + timedelta(days=offset)
        seen = sorted(latencies.get(moment, []))
        rows.append(
            DailyStats(
                day=moment,
                **counts.get(moment, {}),
                latency_p50_s=median(seen) if seen else None,
                latency_p95_s=seen[min(len(seen) - 1, int(0.95 * len(seen)))] if seen else None,
            )
        )
    return rows


def knowledge_gaps(
    session: Session, *, since: datetime, limit: int = 1000, topics: int = 15
) -> list[Topic]:
    """The most asked questions the knowledge does not cover: abstained or thumbs-down
    questions since `since` (newest `limit`), grouped by shared content words."""
    disliked = exists().where(Vote.exchange_id == Exchange.id, Vote.value < 0)
    questions = session.scalars(
        select(Exchange.question)
        .where(Exchange.created_at >= since, or_(Exchange.abstained.is_(True), disliked))
        .order_by(Exchange.id.desc())
        .limit(limit)
    )
    return group_questions(questions)[:topics]


@dataclass(frozen=True)
class Overdue:
    """A served document past its review-by date."""

    document_id: str
    title: str
    owner: str | None
    review_by: date
    days_overdue: int


def overdue_documents(session: Session, *, today: date, limit: int = 50) -> list[Overdue]:
    """Served documents past their review date, the longest overdue first."""
    rows = session.execute(
        select(Document.id, Document.title, Document.owner, Document.review_by)
        .where(
            Document.status.in_(SERVED),
            Document.review_by.is_not(None),
            Document.review_by < today,
        )
        .order_by(Document.review_by, Document.id)
        .limit(limit)
    )
    return [
        Overdue(doc_id, title, owner, review_by, (today - review_by).days)
        for doc_id, title, owner, review_by in rows
        if review_by is not None
    ]
