"""Named leases: a lock with an expiry held by one process at a time (scheduler, writer)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge.db.connection import Database
from knowledge.db.document_models import as_utc
from knowledge.db.scheduler_models import Lease

SCHEDULER_LEASE = "scheduler"
"""The lease the freshness scheduler's leader holds; the console reads it to say whether a
requested run will start."""


def acquire_lease(db: Database, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the named lease; True when `holder` has it until now + ttl.

    One conditional UPDATE decides between contenders (SQLite serialises writers and
    PostgreSQL re-checks the WHERE after a concurrent commit); a missing row is inserted, and
    of two inserting at once the primary key lets exactly one win.
    """
    expires = now + ttl
    try:
        with db.session() as session:
            renewed = session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
                .values(
                    holder=holder,
                    expires_at=expires,
                    acquired_at=case((Lease.holder == holder, Lease.acquired_at), else_=now),
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(renewed, "rowcount", 0) == 1:
                return True
            if session.get(Lease, name) is not None:
                return False
            session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=expires))
        return True
    except IntegrityError:
        return False


def release_lease(db: Database, name: str, holder: str, *, now: datetime) -> None:
    """Give the lease up at once so a waiting process takes over without waiting for expiry."""
    with db.session() as session:
        session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )


def current_lease(session: Session, name: str, *, now: datetime) -> Lease | None:
    """The lease if someone holds it now."""
    lease = session.get(Lease, name)
    if lease is None or as_utc(lease.expires_at) <= now:
        return None
    return lease
