"""Abstention: weak retrieval, the model declining, the threshold's calibration, the message."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.answering.abstention import (
    abstention_text,
    calibrate,
    confidence,
    evaluate_threshold,
    model_declined,
    retrieval_strength,
    should_abstain,
)
from knowledge.retrieval import Passage


def passage(vector_score: float | None, score: float = 1.0) -> Passage:
    return Passage(
        text="Every employee receives 25 working days of paid annual leave.",
        title="Annual Leave",
        section="Your allowance",
        source_uri="file:///h/annual-leave.md",
        document_id="annual-leave",
        version=1,
        chunk_index=0,
        score=score,
        bm25_score=3.0,
        vector_score=vector_score,
        review_by=date(2027, 1, 31),
        stale=False,
    )


def test_strength_is_the_best_cosine_not_the_fused_score() -> None:
    # The fused score of the top hit is ~1.0 for any question (min-max scaling): ignored.
    hits = [passage(0.31, score=1.0), passage(0.52, score=0.4), passage(None, score=0.9)]
    assert retrieval_strength(hits) == 0.52
    assert confidence(hits) == 0.52
    assert retrieval_strength([]) == 0.0


def test_abstains_on_nothing_or_weak_passages() -> None:
    assert should_abstain([], 0.4)
    assert should_abstain([passage(0.33)], 0.4)  # "What is the stock ticker symbol?"
    assert not should_abstain([passage(0.76)], 0.4)  # "How many weeks for the birthing parent?"


@pytest.mark.parametrize(
    "text",
    [
        "I can't find this in our policies.",
        "I cannot find information about sabbaticals in the passages.",
        "I'm sorry, but I couldn't find that.",
        "I don't know.",
        "There is no information about a referral bonus.",
        "The passages do not mention a dress code.",
        "The policies don't cover this.",
    ],
)
def test_model_refusals_are_recognised(text: str) -> None:
    assert model_declined(text)


@pytest.mark.parametrize(
    "text",
    [
        "Contractors are not covered; they should speak to their agency [1].",
        "The policy does not cover contractors [1].",
        "You get 25 working days [1]. I can't find anything about extra days.",
        "No, gifts over EUR 75 must be declared [2].",
    ],
)
def test_answers_that_mention_limits_are_not_refusals(text: str) -> None:
    assert not model_declined(text)


def test_abstention_text_points_to_the_configured_contact() -> None:
    assert "ask in #ask-people" in abstention_text("#ask-people")
    assert "contact people@northwind.example" in abstention_text("people@northwind.example")
    assert "policies" in abstention_text("")


def test_calibration_keeps_false_abstentions_within_budget() -> None:
    # Scores shaped like the sample QA's: unanswerable questions mostly lower, some overlap.
    answerable = [0.36, 0.38, 0.39, 0.41, 0.42, *[0.5 + i / 100 for i in range(35)]]
    unanswerable = [0.33, 0.34, 0.35, 0.38, 0.42, 0.45, 0.6]
    result = calibrate(answerable, unanswerable, max_false_abstain=0.05)
    assert result.false_abstain_rate <= 0.05
    assert 0.38 < result.threshold < 0.39  # two answerable below: 2 / 40 = 5%
    assert result.recall == pytest.approx(4 / 7, abs=1e-3)
    strict = calibrate(answerable, unanswerable, max_false_abstain=0.0)
    assert strict.threshold < 0.36 and strict.precision == 1.0


def test_threshold_figures() -> None:
    result = evaluate_threshold([0.5, 0.6], [0.3, 0.55], 0.52)
    assert (result.precision, result.recall, result.false_abstain_rate) == (0.5, 0.5, 0.5)
    assert evaluate_threshold([0.5], [0.6], 0.1).precision == 1.0  # nothing abstained


def test_calibration_prefers_the_cut_with_fewer_false_abstentions_at_equal_recall() -> None:
    # Raising the cut from 0.36 to 0.45 catches no more unanswerable questions (the next one
    # is at 0.6) but would abstain on three answerable ones: the lower cut wins.
    answerable = [0.361, 0.39, 0.40, 0.41, *[0.5 + i / 100 for i in range(60)]]
    unanswerable = [0.33, 0.34, 0.35, 0.36, 0.6]
    result = calibrate(answerable, unanswerable, max_false_abstain=0.05)
    assert 0.36 < result.threshold < 0.361
    assert (result.recall, result.false_abstain_rate) == (0.8, 0.0)
