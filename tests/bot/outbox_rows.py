"""Owner notifications in the outbox for the delivery tests: queue them, read them back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.outbox import OutboxDeliverer
from knowledge.db import outbox
from knowledge.db.connection import Database
from knowledge.db.scheduler_models import Notification
from tests.bot.helpers import block_texts

OWNER_EMAIL = "people@northwind.example"
OWNER = "U0OWNER"
DUE_TEXT = "Reminder: *Annual leave* (annual-leave) is due for review on 2030-01-01."
Deliverers = Callable[..., OutboxDeliverer]
"""deliverer(db=None, **BotConfig overrides) -> an OutboxDeliverer built as the bot builds it."""


def queue(
    db: Database,
    recipient: str,
    *,
    document_id: str | None = "annual-leave",
    kind: str = "review_due",
    text: str = DUE_TEXT,
) -> int:
    with db.session() as session:
        key = f"{kind}:{document_id}:{recipient}"
        assert outbox.queue_notification(
            session,
            recipient=recipient,
            text=text,
            kind=kind,
            document_id=document_id,
            dedupe_key=key,
        )
        return session.scalars(select(Notification.id).where(Notification.dedupe_key == key)).one()


def rows(db: Database) -> list[Notification]:
    with db.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def texts_of(call: Any) -> str:
    return (
        block_texts(call.args["blocks"])
        + "\n"
        + "\n".join(
            field["text"] for block in call.args["blocks"] for field in block.get("fields", [])
        )
    )
