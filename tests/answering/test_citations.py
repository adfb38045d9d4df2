"""Citations inferred for uncited answers, on the shipped base model's real outputs: the row an
answer restates gets cited; a number from another row, or a bare number, gets nothing."""

from __future__ import annotations

from knowledge.answering.citations import attribute
from tests.answering.passages import EXPENSES, PARENTAL, PHASED, passage

HOTELS = passage(
    "Book a hotel within the nightly cap for your destination.\n\n"
    "Destination: Lisbon; Nightly hotel cap: EUR 140\n"
    "Destination: Porto; Nightly hotel cap: EUR 125\n"
    "Destination: Toronto; Nightly hotel cap: CAD 260",
    title="Business Travel Policy",
    section="Accommodation",
    source="business-travel.pdf",
)
LEARNING_DAYS = passage(
    "Everyone has 4 learning days per year, on top of annual leave. Book them in Peoplehub as "
    '"Learning day" at least one week ahead. Learning days do not carry over.',
    title="Learning and Development",
    section="Learning days",
    source="learning-development.md",
)
LOST_DEVICE = passage(
    "If a laptop, phone with work apps or security key goes missing:\n\n"
    "1. Report it to it-help@northwind.example and in #it-help within 2 hours of noticing, at "
    "any time of day.\n"
    "2. IT will remotely lock and, if needed, wipe the device.\n"
    "3. If the device was stolen, file a police report within 48 hours and send the report "
    "reference number to IT.",
    title="IT Security Essentials",
    section="Lost or stolen devices",
    source="it-security.md",
)
HOME_OFFICE = passage(
    "One-off home-office allowance: EUR 800, to be spent within your first 90 days.\n"
    "Fully remote employees receive an internet stipend of EUR 35 per month.",
    title="Expenses and Reimbursements",
    section="Working from home",
    source="expenses.md",
)
SHOWN = [EXPENSES, PARENTAL, PHASED]


def test_an_uncited_answer_restating_the_right_row_is_cited() -> None:
    # SmolLM2-135M's answer to "How many weeks of fully paid leave does the birthing parent get?"
    answer = (
        "The answer is: 20 weeks; The question asks how many weeks of fully paid leave does "
        "the birthing parent get."
    )
    question = "How many weeks of fully paid leave does the birthing parent get?"
    assert attribute(answer, question, SHOWN) == (answer[:-1] + " [2].", (2,))


def test_a_number_from_the_wrong_row_of_the_right_passage_is_not_cited() -> None:
    # Its answer to the non-birthing parent's question quotes the birthing parent's row. The
    # sentence shares words with that row; only the better-matching 16-week row tells it apart.
    question = (
        "How much paid parental leave does a non-birthing parent get, and by when must it be taken?"
    )
    answer = "The answer is: 20 weeks; When it must be taken: From the date of placement or birth."
    assert attribute(answer, question, SHOWN) is None
    right = "A non-birthing parent gets 16 weeks, taken within 12 months of the birth."
    assert attribute(right, question, SHOWN) == (right[:-1] + " [2].", (2,))


def test_the_wrong_row_of_a_table_in_another_currency_is_not_cited() -> None:
    question = "What is the nightly hotel cap in Toronto?"
    assert attribute("The nightly hotel cap in Toronto is EUR 140.", question, [HOTELS]) is None
    assert attribute("The nightly hotel cap in Toronto is CAD 260.", question, [HOTELS]) == (
        "The nightly hotel cap in Toronto is CAD 260 [1].",
        (1,),
    )


def test_a_bare_number_is_not_pinned_to_a_row() -> None:
    # "4" is right, but says nothing of what it counts: no word ties it to the learning-days row.
    question = "How many learning days do employees get per year?"
    assert attribute("The answer is: 4", question, [LEARNING_DAYS]) is None
    assert attribute("You get 4 learning days a year.", question, [LEARNING_DAYS]) == (
        "You get 4 learning days a year [1].",
        (1,),
    )


def test_facts_from_two_rows_in_one_sentence_are_not_cited() -> None:
    # EUR 35 is the internet stipend, not the home-office allowance the question asks about.
    question = (
        "How big is the home-office allowance for new hybrid or remote employees, and by when "
        "must it be spent?"
    )
    answer = (
        "The home-office allowance for new hybrid or remote employees is EUR 35 per month, and "
        "it must be spent within the first 90 days of employment."
    )
    assert attribute(answer, question, [HOME_OFFICE]) is None


def test_an_answer_whose_only_fact_is_the_question_s_own_is_not_cited() -> None:
    question = "When are self-reviews due in the 2027 review cycle?"
    assert attribute("The answer is: 2027.", question, SHOWN) is None


def test_a_numbered_list_is_cited_item_by_item() -> None:
    answer = (
        "1. Report it to IT-Help@Northwind.example within 2 hours of noticing, at any time of "
        "day.\n2. IT will remotely lock and wipe the device.\n"
        "3. If the laptop was lost or stolen, file a police report within 48 hours."
    )
    cited = attribute(answer, "How quickly must I report a lost laptop?", [LOST_DEVICE])
    assert cited is not None
    text, numbers = cited
    assert numbers == (1,)
    assert text.splitlines() == [
        "1. Report it to IT-Help@Northwind.example within 2 hours of noticing, at any time of "
        "day [1].",
        "2. IT will remotely lock and wipe the device.",
        "3. If the laptop was lost or stolen, file a police report within 48 hours [1].",
    ]


def test_an_invented_number_is_not_cited() -> None:
    question = "How much paid parental leave does a non-birthing parent get?"
    assert attribute("A non-birthing parent gets 26 weeks of paid leave.", question, SHOWN) is None
