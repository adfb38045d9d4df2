"""The grounding check on real handbook sentences: formats normalised, invented facts caught."""

from __future__ import annotations

import pytest

from knowledge.answering.grounding import check_grounding, extract_facts

PARENTAL = (
    "Situation: Non-birthing parent (partner or co-parent); Paid leave at full salary: "
    "16 weeks; When it must be taken: Within 12 months of the birth"
)
LEARNING = "Location: Lisbon and remote employees; Annual budget: EUR 1,200 per calendar year"
SICK = "1 to 3 consecutive calendar days: Self-certification in Peoplehub, no doctor's note"
CARRY = "Carried-over days must be used by 31 March, after which they expire."
REVIEW = "review_by: 2027-03-31"


def keys(text: str) -> list[tuple[str, str]]:
    return [(fact.kind, fact.key) for fact in extract_facts(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16 weeks", [("duration", "16 week")]),
        ("EUR 1,200", [("money", "EUR 1200")]),
        ("€1200 or 1,200 euros", [("money", "EUR 1200"), ("money", "EUR 1200")]),
        ("CAD 260 and C$260", [("money", "CAD 260"), ("money", "CAD 260")]),
        ("30 days", [("duration", "30 day")]),
        ("three days", [("duration", "3 day")]),
        ("3 consecutive calendar days", [("duration", "3 day")]),
        ("2027-03-31", [("date", "2027-03-31")]),
        ("31 March 2027", [("date", "2027-03-31")]),
        ("March 31, 2027", [("date", "2027-03-31")]),
        ("by 31 March", [("date", "03-31")]),
        ("before 10:00", [("time", "10:00")]),
        ("9:30 or 8 pm", [("time", "09:30"), ("time", "20:00")]),
        ("60% or 3.5 per cent", [("percent", "60"), ("percent", "3.5")]),
        ("at least 14 characters", [("number", "14")]),
    ],
)
def test_facts_are_extracted_and_normalised(text: str, expected: list[tuple[str, str]]) -> None:
    assert keys(text) == expected


def test_citation_markers_and_level_names_are_not_facts() -> None:
    assert keys("You get it [1][2], as an L5 engineer [3, 4].") == []


def test_list_item_numbers_are_not_facts() -> None:
    # The base model answers in numbered lists; "1." numbers the item, it states nothing.
    answer = (
        "1. Report it to IT-Help@Northwind.example within 2 hours of noticing.\n"
        "2. IT will remotely lock and wipe the device.\n"
        "  3) File a police report within 48 hours."
    )
    assert keys(answer) == [("duration", "2 hour"), ("duration", "48 hour")]
    # A number inside a line, or one ending a sentence, is still a fact.
    assert keys("The answer is: 3.\nCarry over 5 days.") == [("number", "3"), ("duration", "5 day")]


def test_a_correct_answer_in_other_words_passes() -> None:
    answer = "A non-birthing parent gets 16 weeks at full pay, taken within 12 months [1]."
    assert check_grounding(answer, [PARENTAL]).ok
    assert check_grounding("The budget is €1200 a year [1].", [LEARNING]).ok
    assert check_grounding("You can self-certify for three days [1].", [SICK]).ok
    assert check_grounding("Use them by 31 March [1].", [CARRY]).ok


def test_invented_or_changed_facts_fail() -> None:
    result = check_grounding("A non-birthing parent gets 26 weeks [1].", [PARENTAL])
    assert not result.ok
    assert [f.text for f in result.unsupported] == ["26 weeks"]
    assert not check_grounding("The budget is EUR 1,500 a year [1].", [LEARNING]).ok
    assert not check_grounding("The budget is CAD 1,200 a year [1].", [LEARNING]).ok
    assert not check_grounding("Use them by 30 April [1].", [CARRY]).ok
    # The number is in the source, but as weeks, not days.
    assert not check_grounding("You get 16 days [1].", [PARENTAL]).ok


def test_dates_match_across_formats_and_years_must_agree() -> None:
    assert check_grounding("It is due 31 March 2027.", [REVIEW]).ok
    assert check_grounding("It is due March 31.", [REVIEW]).ok
    assert not check_grounding("It is due 31 March 2028.", [REVIEW]).ok


def test_facts_from_the_question_itself_are_allowed() -> None:
    question = "I've been off sick for two months. Am I still paid?"
    source = "After that, you receive 80% of your base salary for up to 26 weeks."
    answer = "After two months you receive 80% of your salary, for up to 26 weeks [1]."
    assert check_grounding(answer, [source, question]).ok
    assert not check_grounding(answer, [source]).ok


def test_an_answer_without_facts_has_nothing_to_fail() -> None:
    result = check_grounding("Yes, you can report anonymously [1].", [PARENTAL])
    assert result.ok and result.facts == ()
