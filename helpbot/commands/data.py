"""Slack data retention: `helpbot data purge` deletes questions, answers and votes past it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from helpbot.app import app, console, err, services
from knowledge.db import conversations
from knowledge.db.document_models import utcnow

data_app = typer.Typer(help="What the Slack bot keeps, and for how long.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("purge")
def purge(
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=1,
            help="Days to keep (default: HELPBOT_SLACK_RETENTION_DAYS).",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be deleted.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Delete Slack questions, answers, votes and event claims older than the retention
    period (and curation items made from them). Run it daily, e.g. from cron."""
    svc = services()
    days = older_than if older_than is not None else svc.settings.slack_retention_days
    before = utcnow() - timedelta(days=days)
    with svc.db.session() as session:
        if dry_run:
            counts = {"exchanges": conversations.count_before(session, before)}
        else:
            counts = conversations.purge_before(session, before)
    if as_json:
        console.print_json(json.dumps({"older_than_days": days, "dry_run": dry_run, **counts}))
        return
    what = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
    verb = "would delete" if dry_run else "deleted"
    (err if dry_run else console).print(f"Older than {days} days: {verb} {what}.")
