"""`helpbot curate` and `helpbot dataset` end to end on a small ingested handbook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from helpbot.commands import curation as curation_commands
from knowledge.db import curation
from knowledge.ingest import SourceFile
from knowledge.services import Services
from pipelines.curation.synth import make_teacher, run_synth
from tests.conftest import HANDBOOK
from tests.generation.fake_openai_server import FakeOpenAIServer

FILES = ("annual-leave.md", "sick-leave.md")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def run_json(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def handbook(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """A knowledge base of two handbook files; the commands share these services (and the
    session's loaded embedding model) instead of building their own."""
    results = services.ingestor().ingest([SourceFile.from_path(HANDBOOK / n) for n in FILES])
    assert all(r.error is None for r in results), results
    monkeypatch.setattr(curation_commands, "services", lambda: services)
    return services


@pytest.fixture
def small_policy(services: Services, tmp_path: Path) -> Services:
    """A knowledge base of one short policy (quick to ingest)."""
    policy = tmp_path / "annual-leave.md"
    policy.write_text(
        "---\ntitle: Annual Leave\naudiences: [everyone]\n---\n# Annual Leave\n\n"
        "## Allowance\nEvery employee receives 25 working days of paid annual leave per "
        "holiday year.\n\n## Carry-over\nYou can carry over up to 5 days into the next "
        "holiday year. Carried-over days must be used by 31 March.\n\n## Questions\n"
        "Send questions to people@northwind.example within 10 days of booking.\n",
        encoding="utf-8",
    )
    (result,) = services.ingestor().ingest([SourceFile.from_path(policy)])
    assert result.error is None, result
    return services


def test_synth_review_and_build_a_dataset_from_the_command_line(handbook: Services) -> None:
    made = run_json("curate", "synth", "--limit", "16", "--no-teacher", "--by", "ana")
    assert made["created"] >= 16 and made["by_kind"]["unanswerable"] >= 2
    assert run_json("curate", "synth", "--limit", "16", "--no-teacher")["created"] == 0
    listed = run_json("curate", "list", "--source", "synthetic", "--limit", "500")
    assert listed["counts"]["new"] == made["created"]
    ids = [str(i["id"]) for i in listed["items"]]
    shown = run_json("curate", "show", ids[0])
    assert shown["history"][0]["actor"] == "ana" and shown["passages"]

    code, output = run("curate", "reject", ids[0])
    assert code == 1 and "reason" in output
    assert run("curate", "reject", ids[0], "--reason", "too vague", "--by", "bo")[0] == 0
    assert run("curate", "approve", *ids[1:], "--by", "bo")[0] == 0
    code, output = run("curate", "add", "--question", "Who approves leave?", "--answer", "")
    assert code == 1 and "needs an answer" in output
    assert run("curate", "add", "--question", "Is there a gym?", "--unanswerable")[0] == 0
    assert run("curate", "approve", "99999")[0] == 1

    code, output = run("dataset", "build", "--no-embeddings")
    assert code == 1
    assert "at least 50 are needed" in " ".join(output.split())
    built = run_json("dataset", "build", "--min-examples", "10", "--no-embeddings", "--by", "bo")
    path = Path(built["path"])
    assert built["counts"]["train"] > 0 and built["counts"]["test"] > 0
    variants = built["counts"]["by_variant"]
    refusals = sum(variants.get(v, 0) for v in ("abstention", "unanswerable", "hard_negative"))
    assert variants["answer"] > 0 and 0 < refusals <= 0.15 * sum(variants.values())
    rows = [json.loads(line) for line in (path / "train.jsonl").read_text().splitlines()]
    assert {m["role"] for r in rows for m in r["prompt"]} == {"system", "user"}
    assert all(r["meta"]["source"] in ("synthetic", "golden") for r in rows)
    assert [d["id"] for d in run_json("dataset", "list")] == [built["id"]]
    shown_ds = run_json("dataset", "show", built["id"])
    assert shown_ds["content_hash"] == built["content_hash"]
    assert shown_ds["filters"]["excluded"].get("acl", 0) == 0

    first = built["id"]
    assert run("curate", "correct", ids[1], "Anything, cited [1].", "--by", "bo")[0] == 0
    second = run_json("dataset", "build", "--min-examples", "10", "--no-embeddings")["id"]
    diff = run_json("dataset", "diff", first, second)
    assert diff["same_content"] is False
    assert run("dataset", "show", "ds-nope")[0] == 1


def test_synth_with_a_teacher_keeps_only_pairs_grounded_in_the_passage(
    small_policy: Services,
) -> None:
    handbook = small_policy
    pairs = [
        {"question": "How many days of annual leave do I get", "answer": "25 working days."},
        {"question": "Invented?", "answer": "You get 99 days.", "kind": "duration"},
    ]
    server = FakeOpenAIServer(pieces=[json.dumps(pairs)], models={"teacher"})
    server.start()
    try:
        settings = handbook.settings.model_copy(
            update={"teacher_base_url": server.base_url, "teacher_model": "teacher"}
        )
        teacher = make_teacher(settings)
        assert teacher is not None
        result = run_synth(handbook, actor="ana", limit=3, teacher=teacher)
    finally:
        server.stop()
    assert result.teacher and server.requests
    assert result.teacher_rejected >= 1  # the invented 99 days
    with handbook.db.session() as session:
        items = curation.list_items(session, source="synthetic", limit=100)
    questions = {i.question for i in items}
    assert "How many days of annual leave do I get?" in questions
    assert not any("Invented" in q for q in questions)
    assert make_teacher(handbook.settings) is None  # not configured: rules


def test_a_teacher_that_is_down_falls_back_to_the_rules(small_policy: Services) -> None:
    handbook = small_policy
    server = FakeOpenAIServer(status=503, models={"teacher"})
    server.start()
    try:
        settings = handbook.settings.model_copy(
            update={"teacher_base_url": server.base_url, "teacher_model": "teacher"}
        )
        result = run_synth(handbook, actor="ana", limit=5, teacher=make_teacher(settings))
    finally:
        server.stop()
    assert result.teacher_failures >= 1 and result.created >= 3
    with handbook.db.session() as session:
        facts = {i.fact for i in curation.list_items(session, source="synthetic")}
    assert "25 working days" in facts  # the rules wrote them
