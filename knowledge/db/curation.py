"""Queries on curation: items from exchanges and votes, reviews with history, opt-outs, datasets."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.db.curation_models import (
    STATES,
    TRANSITIONS,
    CurationEvent,
    CurationItem,
)
from knowledge.db.curation_sync import (
    SyncResult,
    VoteSummary,
    record_event,
    summarise_votes,
    sync_exchanges,
)
from knowledge.db.document_models import utcnow
from knowledge.db.opt_outs import is_opted_out, opted_out_users, set_opt_out

log = logging.getLogger(__name__)

__all__ = [  # opt-out and sync queries live beside, in their own modules
    "SyncResult",
    "VoteSummary",
    "is_opted_out",
    "opted_out_users",
    "set_opt_out",
    "summarise_votes",
    "sync_exchanges",
]


class CurationError(ValueError):
    """A refused curation action; the message says why in one sentence."""


# --- golden and synthetic items -------------------------------------------------------------
def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def add_golden(
    session: Session,
    *,
    question: str,
    answer: str,
    actor: str,
    answerable: bool = True,
    passages: Sequence[dict[str, Any]] = (),
    approve: bool = True,
    now: datetime | None = None,
) -> CurationItem:
    """An admin-written question and answer (the golden set); approved unless `approve` is
    False. An empty answer means the policies do not cover the question (abstention target)."""
    question, answer = question.strip(), answer.strip()
    if not question:
        raise CurationError("A golden pair needs a question.")
    if answerable and not answer:
        raise CurationError("A golden pair needs an answer (or --unanswerable).")
    now = now or utcnow()
    key = f"golden:{_digest(question.lower(), answer)}"
    if session.scalar(select(CurationItem.id).where(CurationItem.key == key)) is not None:
        raise CurationError("This golden question and answer are already in curation.")
    item = _new_item(
        session, key, "golden", "golden", question, answer, actor, now, answerable, "", passages
    )
    if approve:
        _move(session, item, "approved", actor=actor, reason="written by an admin", now=now)
    return item


def add_synthetic(
    session: Session,
    items: Iterable[Any],
    *,
    actor: str,
    passages_of: dict[str, list[dict[str, Any]]] | None = None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Store SyntheticItem-like objects as `new` items; (created, already there)."""
    now = now or utcnow()
    created = skipped = 0
    for synthetic in items:
        key = f"synthetic:{_digest(synthetic.question.lower(), synthetic.source)}"
        if session.scalar(select(CurationItem.id).where(CurationItem.key == key)) is not None:
            skipped += 1
            continue
        passages = (passages_of or {}).get(synthetic.question, [])
        _new_item(
            session,
            key,
            "synthetic",
            synthetic.kind,
            synthetic.question,
            synthetic.answer,
            actor,
            now,
            synthetic.answerable,
            synthetic.fact,
            passages,
        )
        created += 1
    return created, skipped


def _new_item(
    session: Session,
    key: str,
    source: str,
    kind: str,
    question: str,
    answer: str,
    actor: str,
    now: datetime,
    answerable: bool,
    fact: str,
    passages: Sequence[dict[str, Any]],
) -> CurationItem:
    item = CurationItem(
        key=key,
        source=source,
        kind=kind,
        state="new",
        label="unrated",
        question=question,
        answer=answer,
        answerable=answerable,
        fact=fact,
        passages=list(passages),
        citations=[],
        upvotes=0,
        downvotes=0,
        model_version="",
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    record_event(session, item, actor, "created", None, "new", source, now)
    return item


# --- review ---------------------------------------------------------------------------------
ACTIONS = {"approved": "approve", "rejected": "reject", "needs_correction": "needs_correction"}


def get_item(session: Session, item_id: int) -> CurationItem:
    item = session.get(CurationItem, item_id)
    if item is None:
        raise CurationError(f"There is no curation item {item_id}.")
    return item


def transition(
    session: Session,
    item_id: int,
    to_state: str,
    *,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> CurationItem:
    """Move an item to `to_state`, recording who, when and why; refuses a move the state
    machine does not allow (and a rejection without a reason)."""
    item = get_item(session, item_id)
    _move(session, item, to_state, actor=actor, reason=reason, now=now or utcnow())
    return item


def _move(
    session: Session, item: CurationItem, to_state: str, *, actor: str, reason: str, now: datetime
) -> None:
    if to_state not in STATES:
        raise CurationError(f"Unknown state {to_state!r}: use one of {', '.join(STATES)}.")
    if to_state not in TRANSITIONS[item.state]:
        raise CurationError(f"Item {item.id} is already {item.state}; it cannot become {to_state}.")
    if to_state in ("rejected", "needs_correction") and not reason.strip():
        raise CurationError(f"Say why item {item.id} is {to_state.replace('_', ' ')} (a reason).")
    if to_state == "approved" and item.label == "negative" and not item.correction:
        reason = reason or "approved as an unpaired negative (KTO) example"
    before = item.state
    item.state, item.updated_at = to_state, now
    record_event(
        session, item, actor, ACTIONS.get(to_state, "reopen"), before, to_state, reason, now
    )


def correct(
    session: Session,
    item_id: int,
    text: str,
    *,
    actor: str,
    reason: str = "",
    approve: bool = True,
    now: datetime | None = None,
) -> CurationItem:
    """Replace an item's training target with `text` (an admin correction); approved unless
    `approve` is False."""
    text = text.strip()
    if not text:
        raise CurationError("A correction needs the right answer (it was empty).")
    now = now or utcnow()
    item = get_item(session, item_id)
    item.correction, item.corrected_by, item.label = text, actor, "corrected"
    item.answerable, item.updated_at = True, now
    record_event(
        session, item, actor, "correct", item.state, item.state, reason or "corrected", now
    )
    if approve and item.state != "approved":
        _move(session, item, "approved", actor=actor, reason="corrected by an admin", now=now)
    return item


def history(session: Session, item_id: int) -> list[CurationEvent]:
    return list(
        session.scalars(
            select(CurationEvent).where(CurationEvent.item_id == item_id).order_by(CurationEvent.id)
        )
    )


def list_items(
    session: Session,
    *,
    state: str | None = None,
    source: str | None = None,
    label: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CurationItem]:
    """Items newest first, optionally of one state, source or label."""
    query = select(CurationItem).order_by(CurationItem.id.desc()).limit(limit).offset(offset)
    if state:
        query = query.where(CurationItem.state == state)
    if source:
        query = query.where(CurationItem.source == source)
    if label:
        query = query.where(CurationItem.label == label)
    return list(session.scalars(query))


def counts(session: Session) -> dict[str, int]:
    """How many items are in each state."""
    rows = session.execute(
        select(CurationItem.state, func.count(CurationItem.id)).group_by(CurationItem.state)
    ).all()
    found = {state: int(n) for state, n in rows}
    return {state: found.get(state, 0) for state in STATES}


def approved_items(session: Session) -> list[CurationItem]:
    return list(
        session.scalars(
            select(CurationItem).where(CurationItem.state == "approved").order_by(CurationItem.id)
        )
    )
