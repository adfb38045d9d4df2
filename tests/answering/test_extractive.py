"""The extractive answer: the best one or two sentences with citations, never whole passages."""

from __future__ import annotations

from knowledge.answering.extractive import extractive_answer, sentences, stem, terms
from tests.answering.passages import CONNECTION, EXPENSES, INTERNET, PARENTAL, PHASED


def test_stemming_matches_word_forms() -> None:
    assert stem("submitting") == stem("submit") == stem("submitted")
    assert stem("expenses") == stem("expense")
    assert stem("claims") == stem("claim")
    assert "northwind" not in terms("Northwind employees get leave")


def test_table_rows_are_sentences_and_short_ones_keep_their_context() -> None:
    rows = [s.text for s in sentences([PARENTAL, PHASED])]
    assert rows[1].startswith("Situation: Non-birthing parent")
    assert any(s.endswith("We call this the phased return.") and "60%" in s for s in rows)


def test_picks_the_row_that_answers() -> None:
    answer = extractive_answer(
        "How much paid parental leave does a non-birthing parent get?", [PARENTAL, EXPENSES]
    )
    assert answer is not None
    assert "16 weeks" in answer.text and answer.text.endswith("[1]")
    assert answer.numbers == (1,)


def test_a_quantity_question_prefers_the_sentence_with_the_quantity() -> None:
    answer = extractive_answer("What is the deadline for submitting an expense claim?", [EXPENSES])
    assert answer is not None
    assert answer.text.startswith("Submit every claim in Ledgerly") and "30 days" in answer.text


def test_two_part_questions_quote_both_sources() -> None:
    answer = extractive_answer(
        "As a fully remote employee, what internet stipend do I get and what minimum "
        "connection speed do I need?",
        [INTERNET, CONNECTION],
    )
    assert answer is not None
    assert "EUR 35" in answer.text and "50 Mbps" in answer.text
    assert answer.numbers == (1, 2)


def test_answers_are_short_and_nothing_relevant_means_none() -> None:
    answer = extractive_answer("What does the phased return look like?", [PHASED, PARENTAL])
    assert answer is not None and len(answer.text.split()) <= 70
    assert extractive_answer("What is the stock ticker symbol?", [PARENTAL, EXPENSES]) is None
    assert extractive_answer("anything", []) is None
