"""evaluate_candidate end to end on a tiny random model: test split, golden set and a QA file,
candidate vs live vs base, the gate's verdict stored, failures marked on the version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.messages import convert_to_openai_messages

from knowledge.answering.answer_engine import EngineOptions
from knowledge.answering.prompts import training_example
from knowledge.db import curation, registry
from knowledge.db.connection import Database
from knowledge.db.registry import RegistryError
from knowledge.generation.live import VersionEngines
from knowledge.generation.local import LocalGenerator
from pipelines.evaluation import EvaluationError, GateConfig, evaluate_candidate
from tests.answering.fakes import FixedRetriever
from tests.answering.passages import PARENTAL

OPTIONS = EngineOptions(max_new_tokens=8, prompt_passages=1)
QA = [
    {
        "id": "q1",
        "question": "How much paid leave does a birthing parent get?",
        "expected_sources": ["parental-leave.md"],
        "answer_must_contain": ["20 weeks"],
    },
    {
        "id": "q2",
        "question": "Within how long must a partner take parental leave?",
        "expected_sources": ["parental-leave.md"],
        "answer_must_contain": ["12 months"],
    },
]


@pytest.fixture
def services(tmp_path: Path, settings: Any, tiny_model_dir: Path) -> Iterator[Any]:
    db = Database(settings.sql_url)
    db.upgrade()
    registry.ensure_bootstrap(db, base_model=str(tiny_model_dir))
    yield SimpleNamespace(settings=settings, db=db, retriever=FixedRetriever([PARENTAL]))
    db.dispose()


@pytest.fixture
def engines(services: Any, tiny_model_dir: Path) -> VersionEngines:
    local = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=8)
    return VersionEngines(services, OPTIONS, local=local)


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "handbook_qa.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in QA) + "\n", encoding="utf-8")
    return path


def _dataset(services: Any, dataset_id: str) -> None:
    folder = services.settings.data_dir / "datasets" / dataset_id
    folder.mkdir(parents=True)
    chat = convert_to_openai_messages(
        training_example(
            "What does a non-birthing parent get?", [PARENTAL], "16 weeks at full salary [1]."
        )
    )
    line = {
        "prompt": chat[:-1],
        "completion": chat[-1:],
        "meta": {"source": "exchange", "sources": ["parental-leave.md"]},
    }
    (folder / "test.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")


def _candidate(services: Any, adapter: Path, dataset_id: str | None, base: str) -> str:
    return registry.register_candidate(
        services.db,
        base_model=base,
        adapter_path=adapter,
        dataset_version_id=dataset_id,
        dataset_hash="h",
        hyperparameters={},
        code_version="test",
        training_metrics={},
        created_by="test",
    )


def test_a_candidate_is_evaluated_on_every_source_and_gated(
    services: Any, engines: VersionEngines, qa_file: Path, adapter_v1: Path, tiny_model_dir: Path
) -> None:
    _dataset(services, "ds1")
    with services.db.session() as session:
        curation.add_golden(
            session,
            question="How long is the phased return?",
            answer="The phased return lasts 4 weeks.",
            actor="ana",
            passages=[{"source": "parental-leave.md"}],
        )
    v1 = _candidate(services, adapter_v1, "ds1", str(tiny_model_dir))

    report = evaluate_candidate(services, v1, qa_files=(qa_file,), engines=engines)

    assert report.questions == {"test": 1, "golden": 1, "handbook_qa": 2}
    assert report.answerers == {"candidate": v1, "live": "extractive", "base": "base"}
    assert report.promoted is False
    overall = report.figures["all"]
    assert overall["candidate"]["questions"] == 4
    assert overall["live"]["grounding_pass_rate"] is None  # the extractive answerer has no model
    assert overall["candidate"]["grounding_pass_rate"] is not None
    assert set(report.per_question) == {
        "test:ds1:1",
        "golden:1",
        "handbook_qa:q1",
        "handbook_qa:q2",
    }
    assert set(report.wins) == set(report.losses) == {"vs_live", "vs_base"}
    # A random model's answers never survive the grounding check: the candidate answers by
    # quoting, exactly like the live extractive answerer, so it shows no gain.
    assert overall["candidate"]["grounding_pass_rate"] == 0.0
    assert overall["candidate"]["key_fact_accuracy"] == overall["live"]["key_fact_accuracy"]
    failed = [rule["rule"] for rule in report.gate["rules"] if not rule["passed"]]
    assert report.passed is False and failed == ["min_gain"]
    stored = registry.latest_report(services.db, v1)
    assert stored is not None and stored.id == report.report_id
    assert stored.passed is report.passed
    assert stored.report["summary"] == report.summary
    version = registry.get_version(services.db, v1)
    assert version.status == "evaluated"
    assert version.metrics["evaluation"]["questions"] == 4
    with pytest.raises(RegistryError, match="did not pass the promotion gate"):
        registry.promote(services.db, v1, actor="ana")


def test_the_bootstrap_evaluation_can_make_the_base_model_live(
    services: Any, engines: VersionEngines, qa_file: Path
) -> None:
    report = evaluate_candidate(
        services, "base", qa_files=(qa_file,), engines=engines, config=GateConfig(min_gain=-1.0)
    )

    assert report.answerers == {"candidate": "base", "live": "extractive", "base": "base"}
    assert report.passed and report.promoted
    assert registry.live_version_id(services.db) == "base"
    assert registry.promotions(services.db)[0].actor == "bootstrap-evaluation"


def test_a_corrupt_adapter_fails_the_version_and_keeps_the_live_one(
    services: Any, engines: VersionEngines, qa_file: Path, tmp_path: Path, tiny_model_dir: Path
) -> None:
    broken = tmp_path / "crashed-job"
    broken.mkdir()
    (broken / "adapter_config.json").write_text("{not json", encoding="utf-8")
    version_id = _candidate(services, broken, None, str(tiny_model_dir))

    with pytest.raises(EvaluationError, match="cannot be loaded"):
        evaluate_candidate(services, version_id, qa_files=(qa_file,), engines=engines)

    version = registry.get_version(services.db, version_id)
    assert version.status == "failed" and "adapter_config.json" in (version.error or "")
    assert registry.live_version_id(services.db) == "extractive"


def test_nothing_to_evaluate_on_is_a_clear_error(
    services: Any, engines: VersionEngines, adapter_v1: Path, tiny_model_dir: Path
) -> None:
    version_id = _candidate(services, adapter_v1, None, str(tiny_model_dir))

    with pytest.raises(EvaluationError, match="nothing to evaluate"):
        evaluate_candidate(services, version_id, engines=engines)
    assert registry.get_version(services.db, version_id).status == "candidate"


def test_an_adapter_for_another_base_model_fails_before_answering(
    services: Any, engines: VersionEngines, qa_file: Path, adapter_v1: Path
) -> None:
    version_id = _candidate(services, adapter_v1, None, "qwen2.5-0.5b-instruct")

    with pytest.raises(EvaluationError, match="answers run on"):
        evaluate_candidate(services, version_id, qa_files=(qa_file,), engines=engines)
    assert registry.get_version(services.db, version_id).status == "failed"
