"""Queries on curation: items from exchanges and votes, reviews with history, opt-outs, datasets."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.db.conversation_models import Exchange, Vote
from knowledge.db.curation_models import (
    STATES,
    TRANSITIONS,
    CurationEvent,
    CurationItem,
)
from knowledge.db.models import utcnow
from knowledge.db.opt_outs import is_opted_out, opted_out_users, set_opt_out

log = logging.getLogger(__name__)

__all__ = ["is_opted_out", "opted_out_users", "set_opt_out"]  # opt-out queries live beside

ITEM_STATUSES = ("answered", "abstained")
"""Exchanges that become curation items: those the bot answered (or honestly declined)."""
SLACK_ACTOR = "slack:"
"""Prefix of `corrected_by` for corrections sent from Slack (sync may update those)."""


class CurationError(ValueError):
    """A refused curation action; the message says why in one sentence."""


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int


@dataclass(frozen=True)
class VoteSummary:
    label: str
    upvotes: int
    downvotes: int
    correction: str | None
    corrected_by: str | None


def summarise_votes(votes: Sequence[Vote]) -> VoteSummary:
    """The label of an answer from its votes: the newest correction wins; else the majority
    of thumbs; a tie or no vote is 'unrated'."""
    up = sum(1 for v in votes if v.value > 0)
    down = sum(1 for v in votes if v.value < 0)
    corrected = sorted(
        (v for v in votes if v.correction and v.correction.strip()),
        key=lambda v: (v.updated_at, v.id),
    )
    if corrected:
        last = corrected[-1]
        return VoteSummary("corrected", up, down, last.correction, SLACK_ACTOR + last.user_id)
    label = "positive" if up > down else "negative" if down > up else "unrated"
    return VoteSummary(label, up, down, None, None)


# --- items from exchanges -----------------------------------------------------------------
def sync_exchanges(session: Session, *, now: datetime | None = None) -> SyncResult:
    """Make every answered exchange a curation item and refresh each item's votes (idempotent).

    A new correction or thumbs-down on an approved item sends it back to `new`: its training
    target changed since an admin approved it.
    """
    now = now or utcnow()
    known = dict(
        session.execute(
            select(CurationItem.exchange_id, CurationItem.id).where(
                CurationItem.exchange_id.is_not(None)
            )
        ).all()
    )
    created = updated = 0
    exchanges = session.scalars(
        select(Exchange).where(Exchange.status.in_(ITEM_STATUSES)).order_by(Exchange.id)
    )
    for exchange in exchanges:
        summary = summarise_votes(exchange.votes)
        item_id = known.get(exchange.id)
        if item_id is None:
            _create_from_exchange(session, exchange, summary, now)
            created += 1
        elif _refresh_votes(session, session.get_one(CurationItem, item_id), summary, now):
            updated += 1
    session.flush()
    if created or updated:
        log.info("curation sync: %d new items, %d updated", created, updated)
    return SyncResult(created, updated)


def _create_from_exchange(
    session: Session, exchange: Exchange, summary: VoteSummary, now: datetime
) -> None:
    item = CurationItem(
        key=f"exchange:{exchange.id}",
        source="exchange",
        kind=exchange.status,
        state="new",
        label=summary.label,
        exchange_id=exchange.id,
        asker_id=exchange.asker_id,
        question=exchange.standalone_question or exchange.question,
        answer=exchange.answer,
        correction=summary.correction,
        corrected_by=summary.corrected_by,
        answerable=not exchange.abstained,
        fact="",
        passages=list(exchange.passages or []),
        citations=list(exchange.citations or []),
        upvotes=summary.upvotes,
        downvotes=summary.downvotes,
        model_version=exchange.model_version,
        created_by="sync",
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    _event(
        session, item, "sync", "created", None, "new", f"from exchange {exchange.reference}", now
    )


def _refresh_votes(
    session: Session, item: CurationItem, summary: VoteSummary, now: datetime
) -> bool:
    admin_corrected = item.corrected_by is not None and not item.corrected_by.startswith(
        SLACK_ACTOR
    )
    label = "corrected" if admin_corrected else summary.label
    correction = item.correction if admin_corrected else summary.correction
    corrected_by = item.corrected_by if admin_corrected else summary.corrected_by
    new = (label, summary.upvotes, summary.downvotes, correction)
    if new == (item.label, item.upvotes, item.downvotes, item.correction):
        return False
    before_label, before_state, before_correction = item.label, item.state, item.correction
    item.label, item.upvotes, item.downvotes = label, summary.upvotes, summary.downvotes
    item.correction, item.corrected_by = correction, corrected_by
    item.updated_at = now
    target_changed = correction != before_correction or label != before_label
    if before_state == "approved" and target_changed and label in ("corrected", "negative"):
        item.state = "new"
    reason = f"votes +{summary.upvotes}/-{summary.downvotes}, label {before_label} -> {label}"
    _event(session, item, "sync", "votes", before_state, item.state, reason, now)
    return True


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
    _event(session, item, actor, "created", None, "new", source, now)
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
    _event(session, item, actor, ACTIONS.get(to_state, "reopen"), before, to_state, reason, now)


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
    _event(session, item, actor, "correct", item.state, item.state, reason or "corrected", now)
    if approve and item.state != "approved":
        _move(session, item, "approved", actor=actor, reason="corrected by an admin", now=now)
    return item


def _event(
    session: Session,
    item: CurationItem,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        CurationEvent(
            item_id=item.id,
            actor=actor,
            at=now,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
        )
    )


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
