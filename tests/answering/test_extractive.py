"""The extractive answer: the best one or two sentences with citations, never whole passages."""

from __future__ import annotations

from knowledge.answering.extractive import (
    answer_to_another_part,
    asks_for_quantity,
    extractive_answer,
    question_parts,
    rarity,
    sentences,
    states_quantity,
    stem,
    terms,
    word_pairs,
)
from tests.answering.passages import CONNECTION, EXPENSES, INTERNET, PARENTAL, PHASED, passage


def test_stemming_matches_word_forms() -> None:
    assert stem("submitting") == stem("submit") == stem("submitted")
    assert stem("expenses") == stem("expense")
    assert stem("claims") == stem("claim")
    # The Snowball stemmer's forms the home-made one missed.
    assert stem("travelling") == stem("travel") and stem("cancelled") == stem("cancel")
    assert stem("used") == stem("use") and stem("hiring") == stem("hire")
    assert stem("approval") == stem("approve")
    # No organisation's name is a stop word: it may be what a question is about.
    assert "northwind" in terms("Northwind employees get leave")


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


# --- the shared tokenizer ------------------------------------------------------------------


def test_possessives_accents_and_hyphens_tokenise_as_words() -> None:
    assert terms("Northwind's learning budget") == {"northwind", "learn", "budget"}
    assert terms("Do we get Santo António off?") == {"santo", "antonio"}
    assert "call" in terms("Employees on an on-call rota who use their personal phone")
    # An apostrophe inside a word is not a possessive: "don't" stays one word.
    assert terms("I don't know") == {"don't"}


def test_stemming_matches_short_plurals_nouns_in_ment_ly_and_paid() -> None:
    assert stem("days") == stem("day") and stem("pays") == stem("pay") == stem("paid")
    assert stem("acknowledgement") == stem("acknowledged") == stem("acknowledge")
    assert stem("yearly") == stem("years")
    # ... but not words that only look alike.
    assert stem("plus") == "plus" and stem("less") == "less" and stem("bus") == "bus"
    assert stem("comment") == "comment"  # too short to be "com" + "ment"


def test_tell_is_a_content_word() -> None:
    # remote-003: "tell the People team at least 60 days before the move".
    assert "tell" in terms("How early do I have to tell the company?")
    assert "company" not in terms("How early do I have to tell the company?")


# --- scoring -------------------------------------------------------------------------------

PARENTAL_ROWS_LATER = passage(
    "20 weeks; When it must be taken: From the date of placement or birth\n"
    "Situation: Second adopter or second intended parent; Paid leave at full salary: 16 weeks; "
    "When it must be taken: Within 12 months of placement or birth",
    chunk_index=2,
)
PARENTAL_ROWS_FIRST = passage(
    "Situation: Birthing parent; Paid leave at full salary: 20 weeks; When it must be taken: "
    "Can start up to 4 weeks before the due date\n"
    "Situation: Non-birthing parent (partner or co-parent); Paid leave at full salary: 16 weeks; "
    "When it must be taken: Within 12 months of the birth",
    chunk_index=1,
)


def test_the_row_saying_the_questions_phrase_wins() -> None:
    # leave-001: both rows say "birth", "parent", "paid", "leave" and "weeks"; only one says
    # "birthing parent", and it is in the second passage.
    question = "How many weeks of fully paid leave does the birthing parent get?"
    answer = extractive_answer(question, [PARENTAL_ROWS_LATER, PARENTAL_ROWS_FIRST])
    assert answer is not None
    assert answer.text.startswith("Situation: Birthing parent") and "20 weeks" in answer.text
    assert "Second adopter" not in answer.text


def test_word_pairs_are_neighbours_only() -> None:
    assert word_pairs("the birthing parent") == {("birth", "parent")}
    assert word_pairs("the parent of the birth") == set()  # not side by side


def test_quantity_questions_and_answers() -> None:
    assert asks_for_quantity("Up to what value can I accept a gift without declaring it?")
    assert not asks_for_quantity("Which laptop do engineers get?")
    assert states_quantity("There are two promotion windows each year, in April and October.")
    assert states_quantity("Date: 13 June; Day: Sunday; Holiday: Saint Anthony's Day (Lisbon)")
    assert not states_quantity("your manager decides whether you may keep it")


# --- two-part questions --------------------------------------------------------------------

PROMOTIONS = passage(
    "When promotions happen\n"
    "There are two promotion windows each year, in April and October. Nomination packets are "
    "due 6 weeks before the window opens. Outside these windows, promotions are only possible "
    "when someone moves into a newly created role.",
    title="Manager Guide: Compensation",
    section="Promotions",
    source="manager-guide-compensation.md",
)
PACKET = passage(
    "A promotion increase is typically between 8% and 12%, and the new salary must be at least "
    "the minimum of the new band. A promotion committee in each department reviews all packets "
    "and decides within 3 weeks of the deadline.",
    title="Manager Guide: Compensation",
    section="Promotions > The nomination packet",
    source="manager-guide-compensation.md",
)


def test_each_part_of_a_two_part_question_gets_its_sentence() -> None:
    # mgr-002: the packets sentence answers both "when"s by its words, but says nothing of
    # the windows' months.
    question = "When are the promotion windows, and when are nomination packets due?"
    assert question_parts(question) == [
        "When are the promotion windows",
        "when are nomination packets due?",
    ]
    answer = extractive_answer(question, [PROMOTIONS, PACKET])
    assert answer is not None
    assert "April and October" in answer.text and "6 weeks" in answer.text
    assert "committee" not in answer.text


def test_a_sentence_answering_every_part_needs_no_other() -> None:
    question = (
        "How much paid parental leave does a non-birthing parent get, and by when must it be taken?"
    )
    # leave-002: the non-birthing row says both parts' words. The row fragment opening the
    # first passage says "must" and "taken" too and ranks higher for the passage's rank, but
    # says no more of them: it answers nothing the row does not.
    candidates = sentences([PARENTAL_ROWS_LATER, PARENTAL_ROWS_FIRST])
    non_birthing = next(s for s in candidates if s.text.startswith("Situation: Non-birthing"))
    assert answer_to_another_part(question, non_birthing, candidates, rarity(candidates)) is None
    assert question_parts("Which laptop do engineers get?") == ["Which laptop do engineers get?"]


# --- sentences -----------------------------------------------------------------------------


def test_a_short_sentence_opening_a_line_is_kept_with_the_next() -> None:
    damage = passage(
        "Damage\nAccidental damage is covered by Northwind. If equipment is damaged through "
        "negligence more than once in 12 months, you may be asked to contribute up to EUR 100 "
        "towards the repair.",
        title="Devices and Equipment",
        section="Lost, stolen or damaged equipment > Damage",
        source="devices-equipment.docx",
    )
    texts = [s.text for s in sentences([damage])]
    assert texts == [
        "Accidental damage is covered by Northwind. If equipment is damaged through negligence "
        "more than once in 12 months, you may be asked to contribute up to EUR 100 towards the "
        "repair."
    ]  # the heading "Damage" alone is still no sentence


def test_a_list_number_is_not_part_of_the_sentence() -> None:
    steps = passage(
        "1. Tell your manager directly (a call or direct message, not a public channel) before "
        "10:00 your local time, or as soon as you reasonably can.",
        title="Sick Leave",
        section="Reporting sickness",
        source="sick-leave.md",
    )
    assert [s.text[:25] for s in sentences([steps])] == ["Tell your manager directl"]
