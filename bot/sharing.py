"""Sharing a private (slash-command) answer in the channel, when everyone may see every document
it was built from: the cited ones and every passage the model read in its prompt."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.slack_api import SlackApi
from knowledge.answering.answer_types import Citation
from knowledge.db import conversations as store
from knowledge.db import documents as registry
from knowledge.db.connection import Database
from knowledge.stores.base import EVERYONE

log = logging.getLogger(__name__)


def everyone_may_see(
    db: Database,
    citations: Iterable[Citation],
    audiences: Sequence[str],
    passages: Iterable[Any] = (),
) -> bool:
    """Whether every document behind the answer is open to everyone (so it may go in a
    channel): the cited ones and those of `passages` (Passage objects or their stored JSON),
    since uncited text the model read can still shape what it wrote."""
    if tuple(audiences) == (EVERYONE,):
        return True  # retrieval was already limited to what everyone may see
    document_ids = {c.document_id for c in citations} | {_document_of(p) for p in passages}
    with db.session() as session:
        for document_id in sorted(document_ids):
            document = registry.get(session, document_id)
            if document is None or EVERYONE not in (document.audiences or []):
                return False
    return True


def _document_of(passage: Any) -> str:
    if isinstance(passage, dict):
        return str(passage.get("document_id", ""))
    return str(passage.document_id)


def citation_from_json(data: dict[str, Any]) -> Citation:
    review_by = data.get("review_by")
    return Citation(
        number=int(data["number"]),
        source=str(data.get("source", "")),
        title=str(data.get("title", "")),
        section=str(data.get("section", "")),
        source_uri=str(data.get("source_uri", "")),
        document_id=str(data.get("document_id", "")),
        version=int(data.get("version", 0)),
        review_by=date.fromisoformat(review_by) if review_by else None,
        stale=bool(data.get("stale")),
        quote=str(data.get("quote", "")),
    )


def share_answer(
    db: Database,
    api: SlackApi,
    *,
    reference: str,
    user_id: str,
    channel_id: str,
    response_url: str | None,
    help_contact: str,
) -> str:
    """Post the asker's private answer in the channel; returns what to tell them."""
    with db.session() as session:
        exchange = store.exchange_by_reference(session, reference)
        if exchange is None or exchange.asker_id != user_id:
            return "Only the person who asked can share this answer."
        citations = [citation_from_json(c) for c in exchange.citations]
        audiences, text, abstained = exchange.audiences, exchange.answer, exchange.abstained
        note, exchange_id, passages = exchange.note, exchange.id, list(exchange.passages or [])
    if not everyone_may_see(db, citations, audiences, passages):
        return "This answer uses documents only you may see, so it can't be shared here."
    view = blocks.AnswerView(
        reference=reference,
        text=text,
        citations=citations,
        abstained=abstained,
        note=note,
        help_contact=help_contact,
        shared_by=user_id,
    )
    try:
        ts = api.post_message(
            channel_id, blocks.answer_fallback(view), blocks=blocks.answer_blocks(view)
        )
    except SlackApiError as error:
        log.warning(
            "sharing %s in %s failed: %s", reference, channel_id, error.response.get("error")
        )
        return "I can't post in this channel. Invite me first (`/invite @helpbot`)."
    with db.session() as session:
        store.set_answer_message(session, exchange_id, ts, visibility="shared")
    if response_url:
        try:
            api.respond(response_url, "Shared in the channel.", delete_original=True)
        except Exception as error:
            log.warning(
                "removing the private answer %s failed: %s", reference, type(error).__name__
            )
    log.info("answer %s shared in %s", reference, channel_id)
    return ""
