"""`helpbot jobs enqueue|list|show|cancel|workers` and `helpbot worker --once` on a throw-away
data directory: bad input gets a clear error and a non-zero exit, nothing is queued."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.db import jobs
from knowledge.db.connection import Database
from knowledge.settings import Settings


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_enqueue_list_show_cancel(settings: Settings) -> None:
    code, out = run("jobs", "enqueue", "train", "--payload", '{"dataset_version_id": "ds-1"}')
    assert (code, out.strip()) == (0, "job 1 queued (train)")
    assert run("jobs", "enqueue", "fine_tune")[0] == 2
    code, out = run("jobs", "enqueue", "train", "--payload", "{oops")
    assert code == 2 and "--payload is not JSON" in out
    code, out = run("jobs", "list", "--json")
    [row] = json.loads(out)
    assert (row["id"], row["state"], row["payload"]) == (
        1,
        "queued",
        {"dataset_version_id": "ds-1"},
    )
    code, out = run("jobs", "list")
    assert code == 0 and "no worker alive" in out
    assert run("jobs", "cancel", "1") == (0, "job 1 cancelled\n")
    code, out = run("jobs", "cancel", "1")
    assert code == 1 and "already cancelled" in out
    code, out = run("jobs", "show", "7")
    assert code == 1 and "no job 7" in out


def test_worker_once_runs_a_job_and_show_reports_why_it_failed(settings: Settings) -> None:
    # A train job whose dataset does not exist: the worker fails it with the reason.
    run("jobs", "enqueue", "train", "--payload", '{"dataset_version_id": "missing"}')
    code, _ = run("worker", "--once", "--kinds", "train", "--worker-id", "cli-1")
    assert code == 0
    db = Database(settings.sql_url)
    job = jobs.get_job(db, 1)
    assert job is not None and job.state == "failed" and job.worker_id == "cli-1"
    assert job.error is not None and "PayloadError: dataset missing has no manifest" in job.error
    code, out = run("jobs", "show", "1", "--json")
    shown = json.loads(out)
    assert shown["error"] == job.error
    assert any(line["level"] == "ERROR" and "Traceback" in line["message"] for line in shown["log"])
    code, out = run("jobs", "workers", "--json")
    assert [(w["id"], w["kinds"], w["alive"]) for w in json.loads(out)] == [
        ("cli-1", ["train"], False)
    ]
    assert run("worker", "--kinds", "gpu")[0] == 2
    db.dispose()
