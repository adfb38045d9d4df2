"""The whole learning loop end to end on a tiny random model: Slack exchanges and votes, golden
and synthetic items, curation, the worker's dataset build, training and evaluation jobs, the
gate, a forced promotion followed by a running answerer, and the rollback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks.loop_simulation import record, vote
from knowledge.answering.answer_types import Answer, Asker
from knowledge.db import conversations, curation, jobs, registry
from knowledge.db.conversation_models import Exchange
from knowledge.generation.live import LiveAnswerer, live_answer_service
from knowledge.services import Services
from pipelines.curation.synth import run_synth
from pipelines.worker.process import build_worker

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ASKER = Asker("U0ASK0001", ("everyone",))
QUESTIONS = (  # from the sample handbook's QA set (annual leave and expenses)
    "How many days of annual leave do Northwind employees get per year?",
    "How many unused annual leave days can I carry over, and by when must I use them?",
    "What is the deadline for submitting an expense claim?",
    "If I stay late at the office, can I expense my dinner?",
    "I've been here six years now. Do I get more vacation than someone who just started?",
    "How big is the home-office allowance for new hybrid or remote employees?",
)
UNCOVERED = "Is the zorblax quantifier frobnicated on Tuesdays?"  # abstains, before drafting
SLACK_CORRECTION = "You must submit an expense claim within 30 days [1]."
ADMIN_CORRECTION = "You can carry over up to 5 days, to be used by 31 March [1]."
TRAIN = {  # a few steps of the real trainer on the tiny model
    "max_steps": 2,
    "batch_size": 1,
    "learning_rate": 3e-3,
    "warmup_ratio": 0.0,
    "early_stopping_patience": 0,
}


def _item_of(services: Services, exchange_id: int) -> int:
    with services.db.session() as session:
        found = [
            i.id for i in curation.list_items(session, limit=1000) if i.exchange_id == exchange_id
        ]
    assert len(found) == 1, found
    return found[0]


def _model_version_of(services: Services, exchange_id: int) -> str:
    with services.db.session() as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        return str(exchange.model_version)


def _ask(services: Services, answerer: LiveAnswerer, question: str, n: int) -> int:
    """Ask through the process's answer service and record it as the bot does."""
    answer = answerer.answer(question, ASKER)
    if question == UNCOVERED:
        assert answer.abstained  # the version serving, not a quoting fallback, is on record
    at = T0 + timedelta(minutes=n)
    return record(services.db, user=ASKER.user_id, question=question, answer=answer, at=at, n=n)


def _held_answer(
    services: Services, answerer: LiveAnswerer, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], Answer]:
    """Start answering UNCOVERED in a thread and hold it inside retrieval (after it took the
    serving engine); returns a function that lets it finish and gives its answer."""
    retriever = services.retriever
    real = retriever.retrieve
    inside, go_on = threading.Event(), threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        go_on.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(retriever, "retrieve", held)
    answers: list[Answer] = []
    thread = threading.Thread(
        target=lambda: answers.append(answerer.answer(UNCOVERED, ASKER)), daemon=True
    )
    thread.start()
    assert inside.wait(60), "the answer never reached retrieval"
    monkeypatch.setattr(retriever, "retrieve", real)  # later questions are not held

    def finish() -> Answer:
        go_on.set()
        thread.join(60)
        assert len(answers) == 1 and answers[0].abstained
        return answers[0]

    return finish


def _run_job(services: Services, job_id: int) -> dict[str, object]:
    """One job through the real worker (the same build_worker `python -m pipelines.worker` uses)."""
    assert build_worker(services).run_once()
    job = jobs.get_job(services.db, job_id)
    assert job is not None and job.state == "succeeded", (job and job.state, job and job.error)
    return dict(job.result or {})


def test_votes_become_a_trained_promoted_served_and_rolled_back_adapter(
    loop_services: Services, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = loop_services
    answerer = live_answer_service(svc, start=False)  # the bot's answering process
    assert answerer.refresh() == registry.EXTRACTIVE_ID

    # --- 1. Slack: exchanges answered from real retrieval, recorded as the bot does; votes
    exchanges = [_ask(svc, answerer, q, n) for n, q in enumerate(QUESTIONS)]
    assert {_model_version_of(svc, e) for e in exchanges} == {registry.EXTRACTIVE_ID}
    up_a, up_b, slack_fixed, admin_fixed, wrong, silent = exchanges
    vote(svc.db, up_a, "U0VOTE001", 1, T0 + timedelta(hours=1))
    vote(svc.db, up_b, "U0VOTE002", 1, T0 + timedelta(hours=1))
    vote(svc.db, admin_fixed, "U0VOTE003", -1, T0 + timedelta(hours=1))
    vote(svc.db, wrong, "U0VOTE004", -1, T0 + timedelta(hours=1))
    with svc.db.session() as session:  # thumbs down with the right answer, from the modal
        conversations.save_vote(
            session,
            exchange_id=slack_fixed,
            user_id="U0VOTE005",
            value=-1,
            source="correction",
            reactions=[],
            correction=SLACK_CORRECTION,
            now=T0 + timedelta(hours=1),
        )

    # --- 2. an admin's golden pair and synthetic items from the served passages
    with svc.db.session() as session:
        golden = curation.add_golden(
            session,
            question="Who approves an annual leave request?",
            answer="Your line manager approves annual leave requests [1].",
            actor="ana",
        ).id
    synth = run_synth(svc, actor="ana", seed=0, limit=6)
    assert synth.created >= 4 and synth.passages > 0

    # --- 3. curation as `helpbot curate` does it
    with svc.db.session() as session:
        assert curation.sync_exchanges(session).created == len(QUESTIONS)
    item_of = {e: _item_of(svc, e) for e in exchanges}
    with svc.db.session() as session:
        labels = {e: curation.get_item(session, item_of[e]).label for e in exchanges}
    assert labels == {
        up_a: "positive",
        up_b: "positive",
        slack_fixed: "corrected",
        admin_fixed: "negative",
        wrong: "negative",
        silent: "unrated",
    }
    with svc.db.session() as session:
        for e in (up_a, up_b, slack_fixed):
            curation.transition(session, item_of[e], "approved", actor="ana")
        curation.correct(session, item_of[admin_fixed], ADMIN_CORRECTION, actor="ana")
        curation.transition(session, item_of[wrong], "rejected", actor="ana", reason="off topic")
        with pytest.raises(curation.CurationError, match="reason"):
            curation.transition(session, item_of[silent], "rejected", actor="ana")
        synthetic = curation.list_items(session, state="new", source="synthetic", limit=1000)
        for item in synthetic:
            curation.transition(session, item.id, "approved", actor="ana")
        approved = len(curation.approved_items(session))
        assert curation.get_item(session, golden).state == "approved"
        assert curation.get_item(session, item_of[silent]).state == "new"
        rejected = curation.history(session, item_of[wrong])[-1]
        assert (rejected.to_state, rejected.actor, rejected.reason) == (
            "rejected",
            "ana",
            "off topic",
        )
    assert approved == 4 + 1 + len(synthetic)  # 2 up, 2 corrected, golden, synthetic

    # --- 4. dataset build -> train -> evaluate, queued as the console does, run by the worker
    build_job = jobs.enqueue(
        svc.db,
        "dataset_build",
        {
            "options": {"min_examples": 5, "test_fraction": 0.2},
            "then_train": {"overrides": TRAIN},
        },
        created_by="ana",
    )
    built = _run_job(svc, build_job)
    dataset_dir = Path(str(built["path"]))
    manifest = json.loads((dataset_dir / "manifest.json").read_text("utf-8"))
    assert manifest["content_hash"] == built["content_hash"]
    assert manifest["built_by"] == "ana"
    splits = {
        name: (dataset_dir / f"{name}.jsonl").read_text("utf-8").splitlines()
        for name in ("train", "validation", "test")
    }
    counts = manifest["counts"]
    assert {name: counts[name] for name in splits} == {n: len(r) for n, r in splits.items()}
    assert counts["train"] >= 1 and counts["test"] >= 1
    # 2 thumbs-up + 2 corrected exchanges (the rejected and the unreviewed one stay out)
    supervised = counts["train"] + counts["validation"] + counts["test"]
    assert (counts["by_source"]["exchange"], counts["by_source"]["golden"]) == (4, 1)
    assert sum(counts["by_source"].values()) == supervised
    assert counts["by_source"]["synthetic"] >= len(synthetic)
    assert counts["by_label"]["positive"] == 2 and counts["by_label"]["corrected"] == 2
    assert counts["by_variant"]["correction"] == 2
    assert manifest["items"] == approved
    assert sorted(manifest["document_versions"]) == ["annual-leave", "expenses"]
    targets = {json.loads(r)["completion"][0]["content"] for rows in splits.values() for r in rows}
    assert any("30 days" in t for t in targets)  # the Slack correction is a target
    assert any("31 March" in t for t in targets)  # so is the admin's

    train_job = int(str(built["train_job"]))
    trained = _run_job(svc, train_job)
    version_id = str(trained["version_id"])
    candidate = registry.get_version(svc.db, version_id)
    assert candidate.status == "candidate" and candidate.kind == "adapter"
    assert candidate.dataset_version_id == built["dataset_version_id"]
    assert candidate.dataset_hash == built["content_hash"]
    assert candidate.hyperparameters["max_steps"] == 2
    assert candidate.hyperparameters["learning_rate"] == pytest.approx(3e-3)
    assert candidate.code_version not in ("", "unknown")
    assert candidate.base_model == str(tiny_model) and candidate.created_by == "ana"
    assert (Path(str(candidate.adapter_path)) / "adapter_config.json").is_file()
    losses = [p for p in jobs.metrics_for(svc.db, train_job) if "loss" in p.values]
    assert [p.step for p in losses] == [1, 2]

    evaluated = _run_job(svc, int(str(trained["evaluate_job"])))
    report = registry.latest_report(svc.db, version_id)
    assert report is not None and report.id == evaluated["report_id"]
    assert report.passed is evaluated["passed"] is False  # a 2-step random model loses
    assert report.live_version_id == registry.EXTRACTIVE_ID
    assert registry.get_version(svc.db, version_id).status == "evaluated"

    # --- 5. the gate refuses the promotion; --force with a reason is recorded
    with pytest.raises(registry.RegistryError, match="did not pass the promotion gate"):
        registry.promote(svc.db, version_id, actor="ana")
    with pytest.raises(registry.RegistryError, match="needs a reason"):
        registry.promote(svc.db, version_id, actor="ana", force=True)
    assert registry.live_version_id(svc.db) == registry.EXTRACTIVE_ID
    registry.promote(svc.db, version_id, actor="ana", force=True, reason="end-to-end test")
    last = registry.promotions(svc.db, limit=1)[0]
    assert (last.from_version, last.to_version, last.action) == (
        registry.EXTRACTIVE_ID,
        version_id,
        "promote",
    )
    assert (last.forced, last.reason, last.actor) == (True, "end-to-end test", "ana")
    live = registry.get_version(svc.db, version_id)
    assert (live.status, live.promoted_by) == ("live", "ana")

    # --- 6. the running answerer follows without a restart
    served = _ask(svc, answerer, UNCOVERED, len(QUESTIONS))
    assert answerer.version_id == version_id
    assert _model_version_of(svc, served) == f"tiny-llama+adapter:{version_id}"

    # --- 7. rollback while an answer is in flight: that answer finishes on the adapter, the
    # next one comes from the previous version again
    in_flight = _held_answer(svc, answerer, monkeypatch)
    back = registry.rollback(svc.db, actor="ben", reason="worse than quoting")
    assert (back.from_version, back.to_version, back.action) == (
        version_id,
        registry.EXTRACTIVE_ID,
        "rollback",
    )
    assert registry.get_version(svc.db, version_id).status == "retired"
    assert answerer.refresh() == registry.EXTRACTIVE_ID  # while the other answer still runs
    assert in_flight().model_version == f"tiny-llama+adapter:{version_id}"
    again = _ask(svc, answerer, UNCOVERED, len(QUESTIONS) + 1)
    assert answerer.version_id == registry.EXTRACTIVE_ID
    assert _model_version_of(svc, again) == registry.EXTRACTIVE_ID
