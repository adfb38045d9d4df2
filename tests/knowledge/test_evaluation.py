"""The evaluation harness: metric functions on worked examples, and the QA file format."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from knowledge.qa_harness import (
    QAItem,
    contains_fact,
    context_recall,
    context_within,
    load_qa,
    recall_at,
    reciprocal_rank,
    retrieval_scores,
    same_source,
)
from knowledge.retrieval import Passage
from tests.conftest import QA_FILE


def passage(source: str, text: str) -> Passage:
    return Passage(
        text=text,
        title=source,
        section="",
        source_uri=f"file:///h/{source}",
        document_id=source,
        version=1,
        chunk_index=0,
        score=1.0,
        bm25_score=None,
        vector_score=None,
        review_by=date(2027, 1, 1),
        stale=False,
    )


def test_fact_matching_is_case_and_space_insensitive_with_any_of_lists() -> None:
    assert contains_fact("Parental leave is 16  Weeks.", "16 weeks")
    assert contains_fact("up to €1,200 a year", ["EUR 1,200", "€1,200"])
    assert not contains_fact("up to EUR 1,000", ["EUR 1,200", "€1,200"])


def test_recall_and_reciprocal_rank() -> None:
    ranked = ["travel.md", "expenses.md", "leave.md"]
    assert recall_at(ranked, ["expenses.md"], 1) == 0.0
    assert recall_at(ranked, ["expenses.md"], 5) == 1.0
    assert recall_at(ranked, ["expenses.md", "benefits.md"], 5) == 0.5
    assert reciprocal_rank(ranked, ["expenses.md"]) == 0.5
    assert reciprocal_rank(ranked, ["nowhere.md"]) == 0.0


def test_expected_sources_may_be_paths_relative_to_the_corpus() -> None:
    ranked = ["/x/pages/other/index.md", "file:///x/pages/travel-and-leave/leave%20types.md"]
    assert same_source(ranked[1], "travel-and-leave/leave types.md")
    assert same_source(ranked[1], "leave types.md")  # a bare name still matches a bare name
    assert not same_source(ranked[0], "performance/index.md")
    assert not same_source("/x/pages/my-leave.md", "leave.md")
    assert recall_at(ranked, ["performance/index.md", "travel-and-leave/leave types.md"], 2) == 0.5
    assert reciprocal_rank(ranked, ["travel-and-leave/leave types.md"]) == 0.5


def test_context_recall_respects_the_character_budget() -> None:
    first = "a" * 980
    second = "The per diem in Lisbon is EUR 45."
    context = context_within([first, second], 1000)
    assert len(context) == 1000 and context.endswith("\nThe per diem in Lis")
    assert not context_recall([first, second], ["EUR 45"], 1000)
    assert context_recall([first, second], ["EUR 45"], 2000)


def test_retrieval_scores_by_kind_and_unanswerable_excluded() -> None:
    good = QAItem("q1", "per diem?", "factual", ("travel.md",), ("EUR 45",))
    para = QAItem("q2", "money for food abroad?", "paraphrase", ("travel.md",), ("EUR 45",))
    none = QAItem("q3", "stock ticker?", "unanswerable")
    rows = [
        (good, [passage("travel.md", "Per diem EUR 45.")]),
        (para, [passage("leave.md", "Leave."), passage("travel.md", "Per diem EUR 45.")]),
        (none, [passage("leave.md", "Leave.")]),
    ]
    scores = retrieval_scores(rows)
    assert scores["questions"] == 2
    assert scores["recall@1"] == 0.5 and scores["recall@5"] == 1.0
    assert scores["mrr"] == pytest.approx(0.75)
    assert scores["context_recall@1000"] == 1.0
    assert set(scores["by_kind"]) == {"factual", "paraphrase"}
    assert scores["by_kind"]["paraphrase"]["mrr"] == 0.5


def test_load_qa_reads_the_shipped_file() -> None:
    items = load_qa(QA_FILE)
    assert len(items) >= 50
    assert len({item.id for item in items}) == len(items)
    kinds = {item.kind for item in items}
    assert {"factual", "paraphrase", "unanswerable"} <= kinds
    assert all(not item.expected_sources for item in items if item.kind == "unanswerable")


def test_load_qa_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"id": "ok", "question": "q"}) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"qa.jsonl:2"):
        load_qa(path)
