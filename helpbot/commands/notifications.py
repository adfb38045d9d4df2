"""Owner notifications: what the Slack bot delivered, what waits and what failed, and retries."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from helpbot.app import app, console, err, services
from knowledge.db import outbox
from knowledge.db.scheduler_models import Notification

notifications_app = typer.Typer(
    help="Review nudges for document owners, delivered by the Slack bot.", no_args_is_help=True
)
app.add_typer(notifications_app, name="notifications")


class Status(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    withdrawn = "withdrawn"


def _when(moment: Any) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _row(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "status": n.status,
        "kind": n.kind,
        "document": n.document_id,
        "recipient": n.recipient,
        "attempts": n.attempts,
        "created_at": _when(n.created_at),
        "sent_at": _when(n.sent_at),
        "next_attempt_at": _when(n.next_attempt_at),
        "channel": n.channel,
        "error": n.error,
    }


@notifications_app.command("list")
def notifications_list(
    status: Annotated[Status | None, typer.Option(help="Only notifications in this state.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Newest first: who was nudged about which document, and why a delivery failed."""
    with services().db.session() as session:
        rows = [
            _row(n)
            for n in outbox.list_notifications(
                session, status=status.value if status else None, limit=limit
            )
        ]
    if as_json:
        console.print_json(data=rows)
        return
    if not rows:
        console.print("no notifications" + (f" {status.value}" if status else ""))
        return
    table = Table("id", "status", "kind", "document", "recipient", "tries", "created (UTC)", "note")
    for row in rows:
        note = row["error"] or ""
        if row["status"] == "sent":
            note = f"sent {row['sent_at']}"
        elif row["status"] == "pending" and row["next_attempt_at"]:
            note = f"retry after {row['next_attempt_at']}: {note}"
        table.add_row(
            str(row["id"]),
            row["status"],
            row["kind"],
            row["document"] or "-",
            row["recipient"],
            str(row["attempts"]),
            row["created_at"] or "-",
            note,
        )
    console.print(table)


@notifications_app.command("retry")
def notifications_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Ids of failed notifications.")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Every failed one.")] = False,
) -> None:
    """Put failed notifications back in the outbox (after fixing an owner or a Slack scope)."""
    if not ids and not all_failed:
        err.print("[red]name the notifications to retry, or pass --all-failed[/]")
        raise typer.Exit(2)
    with services().db.session() as session:
        count = outbox.requeue_failed_notifications(session, None if all_failed else ids)
    console.print(f"{count} notification{'s' if count != 1 else ''} back in the outbox")
