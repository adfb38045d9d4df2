"""The Slack outbox: owner notifications queued once, claimed by one bot replica, and settled."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from knowledge.db.scheduler_models import Notification


def queue_notification(
    session: Session,
    *,
    recipient: str,
    text: str,
    kind: str,
    document_id: str | None,
    dedupe_key: str,
) -> bool:
    """Add a DM to the outbox unless the same one (by key) was queued before; True if added."""
    exists = session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
    if exists is not None:
        return False
    session.add(
        Notification(
            recipient=recipient,
            text=text,
            kind=kind,
            document_id=document_id,
            dedupe_key=dedupe_key,
            status="pending",
        )
    )
    session.flush()
    return True


def pending_notifications(session: Session, *, limit: int = 100) -> list[Notification]:
    """Oldest first: what the Slack bot still has to deliver."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.status == "pending")
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
    )


def due_notifications(
    session: Session, *, now: datetime, stale_before: datetime, limit: int = 50
) -> list[int]:
    """Ids a deliverer may claim now, oldest first: pending rows whose retry time has come,
    and rows claimed before `stale_before` that were never finished (their replica died)."""
    return list(
        session.scalars(
            select(Notification.id)
            .where(_claimable(now, stale_before))
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
    )


def _claimable(now: datetime, stale_before: datetime) -> Any:
    pending = and_(
        Notification.status == "pending",
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )
    abandoned = and_(Notification.status == "sending", Notification.claimed_at < stale_before)
    return or_(pending, abandoned)


def claim_notification(
    session: Session,
    notification_id: int,
    *,
    holder: str,
    now: datetime,
    stale_before: datetime,
) -> Notification | None:
    """Take one outbox row for delivery, counting an attempt; None when another replica has
    it, or it was sent, failed or rescheduled meanwhile.

    One conditional UPDATE decides between replicas, as `acquire_lease` does: SQLite
    serialises writers and PostgreSQL re-checks the WHERE after a concurrent commit, so of
    two replicas that listed the same row exactly one sends it. Commit before sending.
    """
    claimed = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _claimable(now, stale_before))
        .values(
            status="sending",
            claimed_by=holder,
            claimed_at=now,
            attempts=Notification.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return session.get(Notification, notification_id, populate_existing=True)


def mark_sent(
    session: Session,
    notification_id: int,
    *,
    at: datetime,
    channel: str | None = None,
    message_ts: str | None = None,
) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            status="sent",
            sent_at=at,
            error=None,
            next_attempt_at=None,
            channel=channel,
            message_ts=message_ts,
        )
    )


def mark_failed(session: Session, notification_id: int, *, error: str) -> None:
    """Failed for good (an unknown owner, a missing scope, too many attempts)."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status="failed", error=error[:2000], next_attempt_at=None)
    )


def withdraw_notification(session: Session, notification_id: int, *, reason: str) -> None:
    """Not sent, and never to be: what it says is no longer true (see `reason`)."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status="withdrawn", error=reason[:2000], next_attempt_at=None)
    )


def retry_notification(session: Session, notification_id: int, *, at: datetime, error: str) -> None:
    """Back to the outbox after a transient failure; no replica claims it before `at`."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status="pending", next_attempt_at=at, error=error[:2000])
    )


def list_notifications(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[Notification]:
    """Newest first, for admins: what was delivered, what waits, what failed and why."""
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if status:
        query = query.where(Notification.status == status)
    return list(session.scalars(query.limit(limit)))


def requeue_failed_notifications(session: Session, ids: Iterable[int] | None = None) -> int:
    """Failed rows (all, or these ids) go back to the outbox with a fresh count of attempts,
    e.g. once the owner was corrected or the missing scope granted."""
    query = (
        update(Notification)
        .where(Notification.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return int(getattr(session.execute(query), "rowcount", 0) or 0)
