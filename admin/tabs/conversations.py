"""Conversations: the curation queue of exchanges: filter, read, correct, approve or reject."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from admin.auth import record
from admin.context import ConsoleContext
from knowledge.answering.prompts import training_example
from knowledge.db import console_pages, curation
from knowledge.db.conversation_models import Exchange
from knowledge.pii import read_names, scrub_example
from knowledge.retrieval import Passage

HEADERS = ["id", "asked (UTC)", "via", "question", "answer", "status", "up", "down", "curation"]
FILTERS = ["thumbs-down", "abstained", "grounding failed", "unanswered", "stale"]
KINDS = ["channel", "dm", "assistant", "command"]
PAGE_SIZE = 25
DECISIONS = ("approve", "reject", "reopen")


def _day(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError:
        raise ValueError(f"Dates are YYYY-MM-DD: {text!r}") from None


def make_filter(
    chosen: Sequence[str], kinds: Sequence[str], since: str, until: str, search: str
) -> console_pages.ExchangeFilter:
    end = _day(until)
    return console_pages.ExchangeFilter(
        thumbs_down="thumbs-down" in chosen,
        abstained="abstained" in chosen,
        grounding_failed="grounding failed" in chosen,
        unanswered="unanswered" in chosen,
        stale="stale" in chosen,
        channel_kinds=tuple(kinds or ()),
        since=_day(since),
        until=end + timedelta(days=1) if end else None,
        search=search or "",
    )


def exchange_table(
    ctx: ConsoleContext, filters: console_pages.ExchangeFilter, page: int
) -> tuple[list[list[Any]], str]:
    with ctx.services.db.session() as session:
        found = console_pages.exchange_page(
            session, filters, page=max(int(page or 1), 1) - 1, size=PAGE_SIZE
        )
        ids = [e.id for e in found.rows]
        votes = console_pages.vote_totals(session, ids)
        states = console_pages.curation_states(session, ids)
        rows = []
        for e in found.rows:
            up, down = votes.get(e.id, (0, 0))
            item = states.get(e.id)
            rows.append(
                [
                    e.id,
                    e.created_at.strftime("%Y-%m-%d %H:%M"),
                    e.source,
                    e.question[:200],
                    e.answer[:200],
                    "abstained" if e.abstained else e.status,
                    up,
                    down,
                    f"{item.state} ({item.label})" if item else "not synced",
                ]
            )
    return rows, f"Page {found.page + 1} of {found.pages} · {found.total} exchanges"


def _passages(raw: Sequence[dict[str, Any]]) -> list[Passage]:
    passages = []
    for p in raw or []:
        passages.append(
            Passage(
                text=str(p.get("text", "")),
                title=str(p.get("title", "")),
                section=str(p.get("section", "")),
                source_uri=str(p.get("source_uri", "")),
                document_id=str(p.get("document_id", "")),
                version=int(p.get("version") or 0),
                chunk_index=int(p.get("chunk_index") or 0),
                score=float(p.get("score") or 0.0),
                bm25_score=p.get("bm25_score"),
                vector_score=p.get("vector_score"),
                review_by=None,
                stale=bool(p.get("stale", False)),
            )
        )
    return passages


def exchange_detail(ctx: ConsoleContext, exchange_id: int) -> tuple[str, str, str]:
    """The exchange in full, the training example it would give, and a concurrency token
    (the curation item and how many changes it has had) that a decision must still match."""
    with ctx.services.db.session() as session:
        exchange = session.get(Exchange, int(exchange_id))
        if exchange is None:
            raise ValueError(f"There is no exchange {exchange_id}.")
        item = console_pages.curation_states(session, [exchange.id]).get(exchange.id)
        corrections = console_pages.corrections(session, [exchange.id]).get(exchange.id, [])
        events = curation.history(session, item.item_id) if item else []
        lines = [
            f"**Question** ({exchange.source}, {exchange.created_at:%Y-%m-%d %H:%M} UTC, "
            f"ref `{exchange.reference}`): {exchange.question}",
            "",
            f"**Answer** ({exchange.model_version or 'no model'}): {exchange.answer or '—'}",
            "",
        ]
        for c in exchange.citations or []:
            lines.append(f"- [{c.get('number')}] {c.get('title')} — {c.get('section')}")
        for text in corrections:
            lines.append(f"\n**Correction from Slack:** {text}")
        if item:
            lines.append(f"\n**Curation:** {item.state} · {item.label}")
            for ev in events:
                lines.append(
                    f"- {ev.at:%Y-%m-%d %H:%M} {ev.actor}: {ev.action} "
                    f"{ev.from_state or ''}→{ev.to_state} {ev.reason}"
                )
        target = (item.correction if item and item.correction else None) or exchange.answer
        passages = _passages(exchange.passages)
        question, answer = scrub_example(
            exchange.standalone_question or exchange.question,
            target,
            (p.text for p in passages),
            names=read_names(ctx.services.settings.pii_names_file),
            keep=ctx.services.settings.pii_keep,
        )
        messages = training_example(question.text, passages, answer.text)
        token = f"{item.item_id}:{len(events)}" if item else ""
    removed = Counter(question.counts) + Counter(answer.counts)
    preview = "\n\n".join([_pii_line(removed), *(f"[{m.type}]\n{m.content}" for m in messages)])
    return "\n".join(lines), preview, token


def _pii_line(removed: Counter[str]) -> str:
    if not removed:
        return "PII scrubbed: none found."
    kinds = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(removed.items()))
    return f"PII scrubbed ({removed.total()} replaced): {kinds}."


def _item_for(ctx: ConsoleContext, exchange_id: int) -> int:
    """The curation item of an exchange, syncing the queue first when it has none yet."""
    with ctx.services.db.session() as session:
        item = console_pages.curation_states(session, [exchange_id]).get(exchange_id)
        if item is None:
            curation.sync_exchanges(session, now=ctx.now())
            item = console_pages.curation_states(session, [exchange_id]).get(exchange_id)
    if item is None:
        raise ValueError(
            f"Exchange {exchange_id} was not answered (failed or pending): nothing to train on."
        )
    return item.item_id


def _check_unchanged(ctx: ConsoleContext, exchange_id: int, token: str) -> None:
    if not token:
        return
    with ctx.services.db.session() as session:
        item = console_pages.curation_states(session, [exchange_id]).get(exchange_id)
        events = curation.history(session, item.item_id) if item else []
    if item and token != f"{item.item_id}:{len(events)}":
        last = events[-1] if events else None
        who = f"{last.actor} ({last.action}, {last.at:%H:%M})" if last else "someone"
        raise ValueError(
            f"Exchange {exchange_id} was changed by {who} since you opened it: it is now "
            f"{item.state}. Reload it and decide again; nothing was changed."
        )


def decide(
    ctx: ConsoleContext,
    exchange_ids: Sequence[int],
    decision: str,
    reason: str,
    user: str,
    token: str = "",
) -> str:
    """Approve, reject (with a reason) or reopen exchanges for training, one or many."""
    if decision not in DECISIONS:
        raise ValueError(f"Unknown decision {decision!r}.")
    ids = list(dict.fromkeys(int(i) for i in exchange_ids))
    if not ids:
        raise ValueError("Pick an exchange (click a row) or use the whole page.")
    if len(ids) == 1:
        _check_unchanged(ctx, ids[0], token)
    state = {"approve": "approved", "reject": "rejected", "reopen": "new"}[decision]
    done, refused = [], []
    for exchange_id in ids:
        try:
            item_id = _item_for(ctx, exchange_id)
            with ctx.services.db.session() as session:
                curation.transition(
                    session, item_id, state, actor=f"console:{user}", reason=reason, now=ctx.now()
                )
            done.append(exchange_id)
        except ValueError as error:
            refused.append(f"{exchange_id}: {error}")
    if refused and not done:
        raise ValueError("Nothing changed: " + "; ".join(refused[:10]))
    record(ctx, user, f"console.curation_{decision}", "", exchanges=done, reason=reason)
    message = f"{decision}: {len(done)} of {len(ids)} done."
    if refused:
        message += " Refused — " + "; ".join(refused[:10])
    return message


def correct_answer(
    ctx: ConsoleContext, exchange_id: int, text: str, user: str, token: str = ""
) -> str:
    """Write or fix the training answer of an exchange (approved with it)."""
    _check_unchanged(ctx, int(exchange_id), token)
    item_id = _item_for(ctx, int(exchange_id))
    with ctx.services.db.session() as session:
        curation.correct(session, item_id, text, actor=f"console:{user}", now=ctx.now())
    record(ctx, user, "console.curation_correct", str(exchange_id))
    return f"Exchange {exchange_id}: answer corrected and approved for training."


def sync_queue(ctx: ConsoleContext, user: str) -> str:
    with ctx.services.db.session() as session:
        result = curation.sync_exchanges(session, now=ctx.now())
    record(ctx, user, "console.curation_sync", "", created=result.created, updated=result.updated)
    return f"Queue synced: {result.created} new items, {result.updated} updated from votes."
