"""Curation items from Slack: each answered exchange becomes an item; votes set its label."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from knowledge.db.conversation_models import Exchange, Vote
from knowledge.db.curation_models import CurationEvent, CurationItem
from knowledge.db.document_models import utcnow

log = logging.getLogger(__name__)

ITEM_STATUSES = ("answered", "abstained")
"""Exchanges that become curation items: those the bot answered (or honestly declined)."""
SLACK_ACTOR = "slack:"
"""Prefix of `corrected_by` for corrections sent from Slack (sync may update those)."""


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

    Only exchanges without an item, whose vote counts moved, or that carry a correction are
    loaded (one aggregate query finds them), so a sync on a large history stays cheap. A new
    correction or thumbs-down on an approved item sends it back to `new`: its training
    target changed since an admin approved it.
    """
    now = now or utcnow()
    stored = {
        exchange_id: (item_id, up, down)
        for exchange_id, item_id, up, down in session.execute(
            select(
                CurationItem.exchange_id,
                CurationItem.id,
                CurationItem.upvotes,
                CurationItem.downvotes,
            ).where(CurationItem.exchange_id.is_not(None))
        )
    }
    tallies = {
        exchange_id: (int(up or 0), int(down or 0), int(corrections or 0))
        for exchange_id, up, down, corrections in session.execute(
            select(
                Vote.exchange_id,
                func.sum(case((Vote.value > 0, 1), else_=0)),
                func.sum(case((Vote.value < 0, 1), else_=0)),
                func.count(Vote.correction),
            ).group_by(Vote.exchange_id)
        )
    }
    answered = session.scalars(
        select(Exchange.id).where(Exchange.status.in_(ITEM_STATUSES)).order_by(Exchange.id)
    )
    created = updated = 0
    for exchange_id in answered:
        known = stored.get(exchange_id)
        up, down, corrections = tallies.get(exchange_id, (0, 0, 0))
        if known is not None and (up, down) == known[1:] and not corrections:
            continue
        exchange = session.get_one(Exchange, exchange_id)
        summary = summarise_votes(exchange.votes)
        if known is None:
            _create_from_exchange(session, exchange, summary, now)
            created += 1
        elif _refresh_votes(session, session.get_one(CurationItem, known[0]), summary, now):
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
    record_event(
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
    record_event(session, item, "sync", "votes", before_state, item.state, reason, now)
    return True


def record_event(
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
