"""The helpbot CLI end to end: ingest, docs, search and eval on a throw-away data directory."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.db import outbox
from knowledge.db.connection import Database
from knowledge.settings import Settings
from pipelines.review import review_check
from tests.conftest import HANDBOOK, QA_FILE

SUBSET = ("parental-leave.md", "benefits.html", "business-travel.pdf", "onboarding.docx")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name in SUBSET:
        shutil.copy(HANDBOOK / name, folder / name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n%%EOF garbage")
    return folder


def run(*args: str) -> tuple[int, str]:
    """Exit code and everything printed (progress and per-file lines go to stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def run_json(*args: str) -> object:
    """A --json command's stdout, parsed: nothing else may be printed there."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_reports_each_file_and_fails_on_bad_ones(settings: object, corpus: Path) -> None:
    code, output = run("ingest", str(corpus))
    assert code == 1  # one file failed: scripts notice
    assert "broken.pdf" in output and "not a readable PDF" in output
    for name in SUBSET:
        assert f"✓ {name}" in output
    assert "4 indexed" in output and "1 failed" in output

    code, output = run("ingest", str(corpus / "parental-leave.md"))
    assert code == 0 and "unchanged" in output

    rows = run_json("docs", "list", "--json")
    assert isinstance(rows, list)
    by_id = {row["id"]: row for row in rows}
    assert by_id["broken"]["status"] == "failed" and by_id["broken"]["error"]
    assert by_id["parental-leave"]["status"] == "active" and by_id["parental-leave"]["chunks"] > 0


def test_search_json_and_delete(settings: object, corpus: Path) -> None:
    run("ingest", str(corpus / "parental-leave.md"), str(corpus / "benefits.html"))
    hits = run_json("search", "how many weeks of parental leave", "--json", "--k", "3")
    assert isinstance(hits, list)
    assert hits[0]["source"] == "parental-leave.md"
    assert {"text", "score", "bm25_score", "vector_score", "title", "section"} <= set(hits[0])

    code, output = run("docs", "delete", "parental-leave", "--yes")
    assert code == 0 and "deleted parental-leave" in output
    hits = run_json("search", "how many weeks of parental leave", "--json")
    assert isinstance(hits, list)
    assert all(hit["source"] != "parental-leave.md" for hit in hits)
    code, output = run("docs", "show", "parental-leave")
    assert "deleted" in output


def test_eval_json_shape(settings: object, corpus: Path, tmp_path: Path) -> None:
    run("ingest", str(corpus))
    subset = [
        line
        for line in QA_FILE.read_text().splitlines()
        if line and set(json.loads(line).get("expected_sources") or ["x"]) <= set(SUBSET)
    ]
    assert len(subset) >= 5
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(subset) + "\n")
    report = run_json("eval", str(qa), "--json", "--retrieval-only")
    assert isinstance(report, dict)
    for mode in ("hybrid", "bm25", "vector"):
        figures = report["retrieval"][mode]
        for name in ("recall@1", "recall@5", "recall@10", "mrr", "by_kind"):
            assert name in figures
        assert 0.0 <= figures["mrr"] <= 1.0
    question = report["questions"][0]
    assert {"id", "hits"} <= set(question)
    assert len(question["hits"]) >= 10 or len(question["hits"]) == report_chunks(report)
    assert {"source", "text", "score"} <= set(question["hits"][0])


def report_chunks(report: dict) -> int:
    return max(len(q["hits"]) for q in report["questions"])


def test_config_lists_documented_settings(settings: object) -> None:
    code, output = run("config")
    assert code == 0
    assert "HELPBOT_DATA_DIR" in output and "HELPBOT_HYBRID_ALPHA" in output


def test_up_answers_questions_from_the_prompt(
    settings: object, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPBOT_GENERATOR", "extractive")
    run("ingest", str(corpus / "parental-leave.md"))
    result = CliRunner().invoke(
        app,
        ["up", "--no-scheduler", "--no-admin-console"],
        input="how many weeks of parental leave?\n\n",
    )
    assert result.exit_code == 0, result.output
    assert "slack:     not connected: set HELPBOT_SLACK_BOT_TOKEN" in result.output
    assert "knowledge: 1 document," in result.output and "answerer:" in result.output
    assert "weeks" in result.output and "parental-leave.md" in result.output


def test_docs_show_prints_the_live_chunks(settings: object, corpus: Path) -> None:
    run("ingest", str(corpus / "parental-leave.md"))
    code, output = run("docs", "show", "parental-leave", "--chunks")
    assert code == 0
    assert "#0 " in output and "16 weeks" in output


def test_notifications_list_shows_what_was_delivered_and_retry_requeues_failures(
    settings: Settings,
) -> None:
    db = Database(settings.sql_url)
    db.upgrade()
    now = datetime(2027, 3, 1, 7, tzinfo=UTC)
    with db.session() as session:
        for document_id in ("parking", "lockers", "coworking"):
            outbox.queue_notification(
                session,
                recipient=f"{document_id}@northwind.example",
                text="Reminder",
                kind="review_due",
                document_id=document_id,
                dedupe_key=f"review_due:{document_id}",
            )
        parking, lockers, _ = outbox.due_notifications(session, now=now, stale_before=now)
        outbox.mark_sent(session, parking, at=now, channel="D0PARKING", message_ts="1.000001")
        outbox.mark_failed(session, lockers, error="users_not_found: no Slack account")
    db.dispose()

    rows = run_json("notifications", "list", "--json")
    assert isinstance(rows, list)
    assert [(r["document"], r["status"]) for r in rows] == [
        ("coworking", "pending"),
        ("lockers", "failed"),
        ("parking", "sent"),
    ]
    assert rows[2]["channel"] == "D0PARKING" and rows[2]["sent_at"].startswith("2027-03-01T07")
    failed = run_json("notifications", "list", "--status", "failed", "--json")
    assert isinstance(failed, list)
    assert [(r["id"], r["error"]) for r in failed] == [
        (lockers, "users_not_found: no Slack account")
    ]
    table = CliRunner().invoke(app, ["notifications", "list"], env={"COLUMNS": "250"})
    assert table.exit_code == 0
    assert "users_not_found: no Slack account" in table.output and "sent 2027-03-01" in table.output
    assert run("notifications", "list", "--status", "lost")[0] == 2

    assert run("notifications", "retry")[0] == 2  # says what to retry
    code, output = run("notifications", "retry", "--all-failed")
    assert code == 0 and "1 notification back in the outbox" in output
    assert run_json("notifications", "list", "--status", "failed", "--json") == []
    pending = run_json("notifications", "list", "--status", "pending", "--json")
    assert isinstance(pending, list)
    assert sorted(r["document"] for r in pending) == ["coworking", "lockers"]


TODAY = datetime.now(UTC).date()
LATER = TODAY + timedelta(days=200)


def parking_policy(folder: Path, review_by: object) -> Path:
    path = folder / "parking.md"
    path.write_text(
        "---\ntitle: Parking policy\nowner: people@northwind.example\n"
        f"review_by: {review_by}\n---\n# Parking policy\n\n"
        "## Spaces\nThe Lisbon office has 12 parking spaces for employees.\n"
    )
    return path


def test_docs_review_confirms_a_stale_document_until_a_new_date(
    settings: Settings, tmp_path: Path
) -> None:
    overdue = TODAY - timedelta(days=10)
    assert run("ingest", str(parking_policy(tmp_path, overdue)))[0] == 0
    db = Database(settings.sql_url)
    assert review_check(db, today=TODAY, nudge_days=14).marked_stale == 1
    db.dispose()

    code, output = run("docs", "review", "parking", "--until", str(LATER), "--by", "jane")

    assert code == 0, output
    assert f"parking: review by {overdue} -> {LATER}" in output
    assert "no longer overdue" in output
    assert "1 undelivered reminder of the old date withdrawn" in output
    assert f"people@northwind.example is reminded again from {LATER - timedelta(days=14)}" in output
    rows = run_json("docs", "list", "--json")
    assert isinstance(rows, list)
    (row,) = rows
    assert (row["status"], row["review_by"], row["reviewed_by"]) == ("active", str(LATER), "jane")
    assert "by jane" in run("docs", "show", "parking")[1]


def test_docs_review_refuses_past_dates_bad_dates_and_unknown_documents(
    settings: Settings, tmp_path: Path
) -> None:
    run("ingest", str(parking_policy(tmp_path, LATER)))
    code, output = run("docs", "review", "parking", "--until", str(TODAY))
    assert code == 1 and "must be in the future" in output
    assert run("docs", "review", "parking", "--until", "soon")[0] == 2
    assert run("docs", "review", "parking")[0] == 2  # --until is required
    code, output = run("docs", "review", "nope", "--until", str(LATER))
    assert code == 1 and "no document 'nope'" in output
    rows = run_json("docs", "list", "--json")
    assert isinstance(rows, list)
    assert (rows[0]["review_by"], rows[0]["reviewed_by"]) == (str(LATER), None)


def test_ingest_review_by_on_an_unchanged_file_records_the_date(
    settings: Settings, tmp_path: Path
) -> None:
    path = parking_policy(tmp_path, LATER)
    run("ingest", str(path))

    later = LATER + timedelta(days=100)
    code, output = run("ingest", str(path), "--review-by", str(later))
    assert code == 0, output
    assert f"review date updated to {later}" in output and "1 review date updated" in output
    newest = later + timedelta(days=1)
    results = run_json("ingest", str(path), "--review-by", str(newest), "--json")
    assert isinstance(results, list)
    assert [(r["outcome"], r["review_updated"]) for r in results] == [("unchanged", str(newest))]

    code, output = run("ingest", str(path), "--review-by", str(TODAY))
    assert code == 1 and "review date not updated" in output
    rows = run_json("docs", "list", "--json")
    assert isinstance(rows, list)
    assert (rows[0]["review_by"], rows[0]["reviewed_by"]) == (str(newest), "cli")
