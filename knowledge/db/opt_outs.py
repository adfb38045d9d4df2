"""Queries on opt-outs: people who asked that their exchanges never be trained on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.db.connection import Database
from knowledge.db.curation_models import OptOut
from knowledge.db.document_models import utcnow


class OptOutError(ValueError):
    """A refused opt-out change."""


@contextmanager
def _unit(db: Session | Database) -> Iterator[Session]:
    """A session: the one given, or a new unit of work on a Database."""
    if isinstance(db, Database):
        with db.session() as session:
            yield session
    else:
        yield db


def set_opt_out(
    db: Session | Database, user_id: str, opted_out: bool, *, now: datetime | None = None
) -> bool:
    """Record that a person opts out of (or back into) training; True when that changed."""
    if not user_id.strip():
        raise OptOutError("An opt-out needs a Slack user id.")
    with _unit(db) as session:
        row = session.get(OptOut, user_id)
        if opted_out and row is None:
            session.add(OptOut(user_id=user_id, opted_out_at=now or utcnow()))
            session.flush()
            return True
        if not opted_out and row is not None:
            session.delete(row)
            session.flush()
            return True
        return False


def is_opted_out(db: Session | Database, user_id: str) -> bool:
    with _unit(db) as session:
        return session.get(OptOut, user_id) is not None


def opted_out_users(session: Session) -> set[str]:
    return set(session.scalars(select(OptOut.user_id)))
