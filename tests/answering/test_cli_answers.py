"""`helpbot ask` and `helpbot eval --backend` end to end on a small ingested knowledge base."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import knowledge.services
from helpbot.cli import app
from tests.conftest import QA_FILE


@pytest.fixture
def handbook(kb_dir: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI pointed at the session's ingested knowledge base, reusing the loaded embedder."""
    for name in list(os.environ):
        if name.startswith("HELPBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELPBOT_DATA_DIR", str(kb_dir))
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setattr(knowledge.services, "Embedder", lambda *a, **k: embedder)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_ask_json(handbook: None) -> None:
    result = invoke(
        "ask",
        "How many days of annual leave do I get per year?",
        "--json",
        "--backend",
        "extractive",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"answer", "abstained", "citations", "model_version", "timings"} <= set(data)
    assert "25 working days" in data["answer"] and not data["abstained"]
    assert {"source", "title", "section"} <= set(data["citations"][0])
    assert data["citations"][0]["source"] == "annual-leave.md"
    assert data["model_version"] == "extractive" and data["timings"]["total"] > 0


def test_ask_prints_answer_sources_and_timings(handbook: None) -> None:
    result = invoke(
        "ask", "What is the deadline for submitting an expense claim?", "--backend", "extractive"
    )
    assert result.exit_code == 0, result.output
    assert "30 days" in result.output and "expenses.md" in result.output
    assert "total" in result.output


def test_ask_bad_backend_or_adapter_is_a_clear_error(handbook: None, tmp_path: Path) -> None:
    result = invoke("ask", "anything?", "--backend", "gpt-9")
    assert result.exit_code == 2 and "unknown backend" in result.output
    result = invoke("ask", "anything?", "--backend", f"adapter:{tmp_path / 'missing'}")
    assert result.exit_code == 2 and "adapter folder not found" in result.output


def test_ask_empty_question_prompts_for_one(handbook: None) -> None:
    result = invoke("ask", "", "--json", "--backend", "extractive")
    data = json.loads(result.stdout)
    assert data["abstained"] and "Ask me anything" in data["answer"]


def test_eval_with_answers(handbook: None, tmp_path: Path) -> None:
    wanted = {"pto-001", "exp-001", "none-001"}
    lines = [line for line in QA_FILE.read_text().splitlines() if json.loads(line)["id"] in wanted]
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(lines) + "\n")
    result = invoke("eval", str(qa), "--json", "--backend", "extractive")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["retrieval"]) == {"hybrid", "bm25", "vector"}
    answers = report["answers"]
    assert answers["backend"] == "extractive"
    for key in (
        "key_fact_accuracy",
        "abstention_precision",
        "abstention_recall",
        "grounding_failure_rate",
        "citation_accuracy",
        "latency_p50_s",
        "latency_p95_s",
        "median_words",
    ):
        assert key in answers
    assert answers["key_fact_accuracy"] == 1.0
    by_id = {q["id"]: q for q in report["questions"]}
    assert by_id["pto-001"]["passed"] and by_id["pto-001"]["citations"]
    assert "extractive" in by_id["exp-001"]["by_backend"]

    result = invoke("eval", str(qa), "--json", "--retrieval-only")
    assert "answers" not in json.loads(result.stdout)


def test_ask_without_a_backend_answers_with_the_registry_live_version(
    handbook: None, monkeypatch: Any
) -> None:
    """`helpbot ask` answers as the bot does: with the live version (extractive on a fresh
    install), not the configured generator."""
    from helpbot.commands.answers import build_service
    from knowledge.services import Services
    from knowledge.settings import Settings

    svc = Services.from_settings(Settings())
    assert build_service(None, svc) is svc.answers
    assert build_service("live", svc) is svc.answers
    result = invoke("ask", "How many days of annual leave do I get per year?", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model_version"] == "extractive"
