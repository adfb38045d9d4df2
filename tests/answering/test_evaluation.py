"""Answer metrics on worked examples: key facts, abstention, grounding, citations, latency."""

from __future__ import annotations

import pytest

from knowledge.answering.answer_engine import AnswerEngine, EngineOptions
from knowledge.answering.answer_quality import (
    answer_scores,
    answerer_context,
    evaluate_answers,
    history_of,
    judge,
    standalone_question,
)
from knowledge.answering.answer_types import Answer, Asker, Citation, Turn
from knowledge.qa_harness import QAItem
from tests.answering.fakes import FixedRetriever
from tests.answering.passages import passage

LEAVE = QAItem(
    "q1",
    "Non-birthing parent leave?",
    "factual",
    ("parental-leave.md",),
    ("16 weeks", ["12 months", "a year"]),
    ("26 weeks",),
)
TRAVEL = QAItem("q2", "Per diem?", "paraphrase", ("business-travel.pdf",), (["EUR 50", "€50"],))
TICKER = QAItem("q3", "Stock ticker?", "unanswerable")


def cite(source: str) -> Citation:
    return Citation(1, source, "T", "S", f"file:///{source}", source, 1, None, False, "quote")


def answer(
    text: str,
    *sources: str,
    abstained: bool = False,
    total: float = 1.0,
    grounding_failed: bool = False,
) -> Answer:
    return Answer(
        text,
        tuple(cite(s) for s in sources),
        0.7,
        abstained,
        "m",
        {"total": total, "first_token": total / 2},
        grounding_failed=grounding_failed,
    )


def test_judge_needs_all_facts_and_no_wrong_value() -> None:
    assert judge(LEAVE, answer("16 weeks, within 12 months [1].")).passed
    assert judge(LEAVE, answer("16 weeks within a year")).passed  # any-of alternatives
    verdict = judge(LEAVE, answer("16 weeks, or 26 weeks, within 12 months"))
    assert not verdict.passed and verdict.failures == ("says 26 weeks",)
    assert judge(LEAVE, answer("16 weeks")).failures == ("missing 12 months | a year",)
    assert judge(LEAVE, answer("...", abstained=True)).failures == ("abstained",)
    assert judge(TICKER, answer("...", abstained=True)).passed
    assert not judge(TICKER, answer("NWL [1]")).passed


def test_scores() -> None:
    rows = [
        (LEAVE, answer("16 weeks within 12 months [1].", "parental-leave.md", total=1.0)),
        (TRAVEL, answer("EUR 60 [1].", "expenses.md", total=3.0, grounding_failed=True)),
        (TICKER, answer("I couldn't find this.", abstained=True, total=0.5)),
    ]
    scores = answer_scores(rows)
    assert scores["key_fact_accuracy"] == 0.5
    assert scores["abstention_precision"] == 1.0 and scores["abstention_recall"] == 1.0
    assert scores["grounding_failure_rate"] == 0.5
    assert scores["citation_accuracy"] == 0.5
    assert scores["latency_p50_s"] == 1.0
    assert scores["latency_p95_s"] == pytest.approx(2.8)
    assert scores["first_token_p50_s"] == 0.5
    assert scores["median_words"] == 3.5  # "EUR 60 [1]." and "16 weeks within 12 months [1]."
    assert scores["pass_rate_by_kind"] == {"factual": 1.0, "paraphrase": 0.0, "unanswerable": 1.0}


def test_undefined_ratios_are_null() -> None:
    scores = answer_scores([(LEAVE, answer("16 weeks within 12 months"))])
    assert scores["abstention_precision"] is None and scores["abstention_recall"] is None


def test_history_comes_from_the_qa_item() -> None:
    item = QAItem(
        "f1",
        "And by when?",
        "followup",
        ("parental-leave.md",),
        extra={"history": [{"role": "user", "text": "How long?"}]},
    )
    assert history_of(item) == (Turn("user", "How long?"),)


class EchoService:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Asker, tuple[Turn, ...]]] = []

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: object = None,
    ) -> Answer:
        self.calls.append((question, asker, history))
        return answer("16 weeks within 12 months [1]", "parental-leave.md")


def test_runner_asks_every_backend_with_the_items_audiences() -> None:
    restricted = QAItem("q4", "Merit budget?", "restricted", ("m.md",), audiences=("managers",))
    first, second = EchoService(), EchoService()
    report = evaluate_answers([LEAVE, restricted], {"extractive": first, "base": second})
    assert report["answers"]["backend"] == "extractive"
    assert set(report["answers_by_backend"]) == {"extractive", "base"}
    assert report["per_question"]["q1"]["base"]["passed"] is True
    assert first.calls[1][1].audiences == ("managers",) and len(second.calls) == 2


def test_history_string_is_the_askers_earlier_message_answered_first() -> None:
    item = QAItem(
        "f2",
        "and for a veteran?",
        "followup",
        ("travel-and-leave/fmla.md",),
        extra={"history": "how much unpaid leave for a sick family member?"},
    )
    assert history_of(item) == (Turn("user", "how much unpaid leave for a sick family member?"),)
    service = EchoService()
    evaluate_answers([item], {"extractive": service})
    earlier, followup = service.calls
    assert earlier[0] == "how much unpaid leave for a sick family member?" and earlier[2] == ()
    assert followup[0] == "and for a veteran?"
    assert [turn.role for turn in followup[2]] == ["user", "assistant"]
    assert followup[2][1].text == "16 weeks within 12 months [1]"


def test_citations_match_expected_paths_relative_to_the_corpus() -> None:
    item = QAItem("f3", "How long?", "fact", ("travel-and-leave/leave.md",), ("16 weeks",))
    right = Citation(1, "leave.md", "T", "S", "/c/pages/travel-and-leave/leave.md", "l", 1, None,
                     False, "q")  # fmt: skip
    wrong = Citation(1, "leave.md", "T", "S", "/c/pages/other/leave.md", "l2", 1, None, False, "q")
    good = Answer("16 weeks [1]", (right,), 0.7, False, "m", {"total": 1.0})
    bad = Answer("16 weeks [1]", (wrong,), 0.7, False, "m", {"total": 1.0})
    assert answer_scores([(item, good)])["citation_accuracy"] == 1.0
    assert answer_scores([(item, bad)])["citation_accuracy"] == 0.0


def test_follow_ups_are_searched_as_the_engine_searches_them() -> None:
    item = QAItem(
        "f1", "and if i miss that window?", "followup", ("benefits.md",), ("Open Season",),
        extra={"history": "how long do new employees have to sign up for health insurance?"},
    )  # fmt: skip
    standalone = standalone_question(item)
    assert standalone.startswith("and if i miss that window?")
    assert "health" in standalone and "insurance" in standalone
    plain = QAItem("f2", "how long is parental leave?", "fact", ("leave.md",), ("16 weeks",))
    assert standalone_question(plain) == "how long is parental leave?"


def test_context_recall_measures_the_answerers_compressed_context() -> None:
    filler = passage("Bookings go through the travel portal for every trip. " * 12, source="t.md")
    fact = passage(
        "Submit the training request form three to five weeks before the conference.",
        source="conferences.md",
    )
    retriever = FixedRetriever([filler, filler, fact])
    engine = AnswerEngine(retriever, None, EngineOptions(search_k=3))
    item = QAItem(
        "q1", "How many weeks before the conference do I submit the training request form?",
        "fact", ("conferences.md",), ("three to five weeks",),
    )  # fmt: skip
    figures = answerer_context([item], engine)
    assert figures["context_recall@1000"] == 1.0 and figures["questions"] == 1
    whole = AnswerEngine(retriever, None, EngineOptions(search_k=3, context_chars=0))
    assert answerer_context([item], whole)["context_recall@1000"] == 0.0
