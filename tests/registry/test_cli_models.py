"""`helpbot models`: listing, refusals with their reasons, forced promotion, rollback, queueing."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.db import jobs, registry
from knowledge.db.connection import Database

runner = CliRunner()


def _db(settings: Any) -> Database:
    db = Database(settings.sql_url)
    db.upgrade()
    return db


def test_list_shows_the_bootstrapped_registry(settings: Any) -> None:
    result = runner.invoke(app, ["models", "list", "--json"])

    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["extractive"]["status"] == "live"
    assert rows["base"]["base_model"] == "smollm2-135m-instruct"


def test_promotion_refusals_and_a_forced_promotion_then_rollback(settings: Any) -> None:
    refused = runner.invoke(app, ["models", "promote", "base", "--actor", "ana"])
    assert refused.exit_code == 1
    assert "has not been evaluated" in refused.output

    db = _db(settings)
    registry.mark_evaluating(db, "base")
    failed_gate = {"gate": {"passed": False, "rules": [{"rule": "min_gain", "passed": False}]}}
    registry.save_report(
        db, "base", live_version_id="extractive", passed=False, report=failed_gate, created_by="t"
    )
    no_reason = runner.invoke(app, ["models", "promote", "base", "--force"])
    assert no_reason.exit_code == 1 and "needs a reason" in no_reason.output

    forced = runner.invoke(
        app, ["models", "promote", "base", "--force", "--reason", "pilot", "--actor", "ana"]
    )
    assert forced.exit_code == 0, forced.output
    assert "forced past the gate" in forced.output
    shown = runner.invoke(app, ["models", "show", "base", "--json"])
    history = json.loads(shown.stdout)["history"]
    assert history[0]["forced"] is True and history[0]["reason"] == "pilot"

    back = runner.invoke(app, ["models", "rollback", "--actor", "ben"])
    assert back.exit_code == 0, back.output
    assert registry.live_version_id(db) == "extractive"
    db.dispose()


def test_evaluate_can_be_queued_for_a_worker(settings: Any) -> None:
    result = runner.invoke(app, ["models", "evaluate", "base", "--queue", "--actor", "ana"])

    assert result.exit_code == 0, result.output
    db = _db(settings)
    [job] = jobs.list_jobs(db)
    assert (job.kind, job.payload["version_id"], job.created_by) == ("evaluate", "base", "ana")
    db.dispose()


def test_unknown_versions_are_named(settings: Any) -> None:
    result = runner.invoke(app, ["models", "show", "v42"])

    assert result.exit_code == 1
    assert "no model version 'v42'" in result.output
