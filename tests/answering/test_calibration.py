"""Abstention placed per knowledge base from its own passages, and followed by running engines."""

from __future__ import annotations

import os
from pathlib import Path

from knowledge.answering.abstention import AbstentionRule, Signals
from knowledge.answering.answer_engine import AnswerEngine
from knowledge.answering.answer_types import Asker
from knowledge.answering.calibration import (
    CalibratedRule,
    Calibration,
    calibration_file,
    knowledge_fingerprint,
    knowledge_passages,
    live_documents,
    load,
    place_rule,
    recalibrate,
    save,
)
from knowledge.services import Services

FALLBACK = AbstentionRule(0.36, 0.45, 0.3)
EVERYONE = Asker("t", ("everyone",))


def calibration(knowledge: str, abstain_below: float = 0.5) -> Calibration:
    return Calibration(abstain_below, abstain_below, 0.0, knowledge, 40, 10, 0.9, 0.0, 0.7, 0.2,
                       "2026-01-01T00:00:00+00:00")  # fmt: skip


def test_the_cut_sits_under_the_answerable_questions_and_above_the_uncovered_ones() -> None:
    answerable = [Signals(0.45 + i / 100, 0.8) for i in range(50)]  # 0.45 .. 0.94
    unanswerable = [Signals(0.15 + i / 100, 0.0) for i in range(20)]  # 0.15 .. 0.34
    rule = place_rule(answerable, unanswerable, budget=0.02, margin=0.9)
    assert 0.34 < rule.abstain_below <= 0.45
    assert not rule.abstains(Signals(0.46, 0.8))
    assert rule.abstains(Signals(0.30, 0.0))


def test_the_fingerprint_changes_with_the_live_knowledge() -> None:
    before = knowledge_fingerprint([("leave", 1), ("expenses", 2)])
    assert before == knowledge_fingerprint([("expenses", 2), ("leave", 1)])
    assert before != knowledge_fingerprint([("leave", 1), ("expenses", 3)])


def test_saved_calibration_is_followed_only_while_the_knowledge_matches(tmp_path: Path) -> None:
    path, knowledge = calibration_file(tmp_path), ["k1"]
    rule = CalibratedRule(path, FALLBACK, lambda: knowledge[0], recheck_s=0.0)
    assert rule.current() == (FALLBACK, None)  # nothing saved yet
    save(calibration("k1", 0.5), path)
    assert rule.current()[0].abstain_below == 0.5
    knowledge[0] = "k2"  # a document changed: the calibration is stale
    assert rule.current() == (FALLBACK, None)
    save(calibration("k2", 0.42), path)
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 1))
    assert rule.current()[0].abstain_below == 0.42  # re-read without a restart


def test_an_unreadable_calibration_file_falls_back(tmp_path: Path) -> None:
    path = calibration_file(tmp_path)
    path.write_text("{not json", encoding="utf-8")
    assert load(path) is None
    assert CalibratedRule(path, FALLBACK, lambda: "k").current() == (FALLBACK, None)


def test_a_real_knowledge_base_calibrates_itself(kb: Services, tmp_path: Path) -> None:
    passages = knowledge_passages(kb.retriever)
    # What everyone may see: the managers' guide is not asked about.
    assert {p.document_id for p in passages} == {"annual-leave", "expenses"}
    assert {"annual-leave", "expenses"} < {d for d, _ in live_documents(kb.db)}
    placed = recalibrate(kb.db, kb.retriever, tmp_path, k=kb.settings.search_k)
    assert placed is not None and load(calibration_file(tmp_path)) == placed
    assert placed.answerable >= 8 and placed.unanswerable >= 4
    assert placed.synthetic_false_abstain <= 0.05
    assert placed.median_cosine_answerable > placed.median_cosine_unanswerable
    followed = CalibratedRule(
        calibration_file(tmp_path),
        FALLBACK,
        lambda: knowledge_fingerprint(live_documents(kb.db)),
    )
    engine = AnswerEngine(kb.retriever, None, calibration=followed)
    assert engine.abstention_rule() == placed.rule
    answered = engine.answer("How many days of annual leave do I get?", EVERYONE)
    assert not answered.abstained and "25 working days" in answered.text
    assert engine.answer("Can I bring my dog to the office?", EVERYONE).abstained
