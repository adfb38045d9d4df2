"""Abstention is re-calibrated when the knowledge changes, and only then."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from knowledge.answering import build_answer_service
from knowledge.answering.answer_engine import AnswerEngine
from knowledge.answering.answer_types import Asker
from knowledge.ingest import SourceFile
from knowledge.services import Services
from knowledge.settings import Settings
from pipelines.calibration import recalibrate_if_changed
from tests.conftest import HANDBOOK

EVERYONE = Asker("t", ("everyone",))


def services(data_dir: Path, embedder: Any) -> Services:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("HELPBOT_")}
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=data_dir,
            abstain_self_calibrate=True,
        )
    finally:
        os.environ.update(saved)
    svc = Services.from_settings(settings)
    svc.__dict__["embedder"] = embedder
    return svc


def ingest(svc: Services, *names: str) -> None:
    results = list(svc.ingestor().ingest(SourceFile.from_path(HANDBOOK / n) for n in names))
    assert all(r.outcome == "indexed" for r in results), [r.error for r in results]


def test_recalibrated_when_the_knowledge_changes(tmp_path: Path, embedder: Any) -> None:
    svc = services(tmp_path / "data", embedder)
    try:
        ingest(svc, "annual-leave.md")
        # A knowledge base of one document: answers still work, with a rule of its own or the
        # configured fallback, never a crash.
        first = recalibrate_if_changed(svc)
        assert first.result in ("calibrated", "too_small")
        engine = build_answer_service(svc, backend="extractive")
        assert isinstance(engine, AnswerEngine)
        answer = engine.answer("How many days of annual leave do I get?", EVERYONE)
        assert not answer.abstained and "25 working days" in answer.text
        assert engine.answer("Can I bring my dog to the office?", EVERYONE).abstained

        ingest(svc, "expenses.md")
        second = recalibrate_if_changed(svc)
        assert second.result == "calibrated" and second.calibration is not None
        assert recalibrate_if_changed(svc).result == "unchanged"
        assert engine.abstention_rule() == second.calibration.rule  # followed without restart
        assert recalibrate_if_changed(svc, force=True).result == "calibrated"
    finally:
        svc.close()
