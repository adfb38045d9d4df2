"""Synthetic questions: answerable ones from a passage's own facts, unanswerable ones it lacks."""

from __future__ import annotations

from knowledge.synthetic_questions import synthesize, uncovered_questions
from tests.answering.passages import passage

LEAVE = passage(
    "Every employee receives 25 working days of paid annual leave per holiday year. "
    "You can carry over up to 5 days into the next year; they must be used by 31 March. "
    "Ask in #ask-people or email people@northwind.example.",
    title="Annual Leave (Paid Time Off)",
    section="Annual Leave > Your Allowance",
    source="annual-leave.md",
)
TRAVEL = passage(
    "The daily meal allowance is EUR 45 in most cities. "
    "Report unused or cancelled tickets to travel@northwind.example so that the credits can "
    "be reused. Employees must book flights through the Voyage app.",
    title="Business Travel",
    section="Business Travel > Booking",
    source="business-travel.md",
    chunk_index=3,
)


def test_answerable_questions_ask_for_the_passage_fact_and_the_answer_holds_it() -> None:
    items = [i for i in synthesize([LEAVE, TRAVEL]) if i.answerable]
    by_kind = {(i.document_id, i.kind): i for i in items}
    duration = by_kind[("annual-leave", "duration")]
    assert duration.question == (
        "Every employee receives how many working days of paid annual leave per holiday year?"
    )
    assert duration.fact == "25 working days"
    assert duration.fact in duration.answer
    assert duration.source == "annual-leave@1#0"
    amount = by_kind[("business-travel", "amount")]
    assert amount.fact == "EUR 45"
    assert "how much" in amount.question and "EUR 45" not in amount.question
    contact = by_kind[("business-travel", "contact")]
    assert contact.question.startswith("Report unused or cancelled tickets to which address")
    assert contact.source == "business-travel@1#3"
    # two contacts in one sentence: the question asks about the topic instead
    leave_contact = by_kind[("annual-leave", "contact")]
    assert "your allowance" in leave_contact.question
    for item in items:
        assert item.fact in item.answer
        assert item.question.endswith("?")
        assert item.fact not in item.question


def test_at_most_one_question_per_kind_and_per_passage_limit() -> None:
    items = [i for i in synthesize([LEAVE], per_passage=2) if i.answerable]
    assert len(items) == 2
    assert len({i.kind for i in items}) == 2


def test_unanswerable_questions_avoid_topics_the_passages_cover() -> None:
    pets = passage("Dogs and other pets are welcome in the Lisbon office on Fridays.")
    questions = [i.question for i in uncovered_questions([pets], limit=100)]
    assert questions
    assert not any("dog" in q.lower() or " pet " in f" {q.lower()}" for q in questions)
    assert "Does the company pay for pet insurance?" not in questions
    plain = [i.question for i in uncovered_questions([LEAVE], limit=100)]
    assert "Can I bring my dog to the office?" in plain
    items = uncovered_questions([LEAVE], limit=3)
    assert len(items) == 3
    assert all(not i.answerable and i.answer == "" and i.kind == "unanswerable" for i in items)


def test_a_run_is_deterministic_per_seed_and_has_no_repeated_questions() -> None:
    first = synthesize([LEAVE, TRAVEL], seed=4)
    assert first == synthesize([LEAVE, TRAVEL], seed=4)
    questions = [i.question.lower() for i in first]
    assert len(questions) == len(set(questions))
    assert sum(not i.answerable for i in first) >= 2
    assert synthesize([]) == []


def test_sentences_that_need_their_paragraph_are_not_asked_about() -> None:
    fragments = passage(
        "It cannot be carried over to another month or paid out.\n"
        "up by Northwind so that your total income equals 100% of your base salary.\n"
        "Date: 15 February; Day: Monday; Holiday: Family Day"
    )
    assert [i for i in synthesize([fragments]) if i.answerable] == []
