"""The answerer's context: gathering per part of a question, and compression to a budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.answering.answer_engine import AnswerEngine, EngineOptions
from knowledge.answering.answer_types import Asker
from knowledge.answering.context import compress, gather, interleave, part_queries
from knowledge.qa_harness import context_recall, context_within
from knowledge.retrieval import Passage
from tests.answering.fakes import FixedRetriever, ScriptedGenerator
from tests.answering.passages import passage

ASKER = Asker("U1")
FILLER = (
    "Our travel team books trains and flights through the travel portal for every trip. "
    "Bookings made outside the portal are not covered by the travel insurance policy. "
    "Receipts for taxis and meals go into the expense tool within the month of travel. "
    "Managers see each booking in the portal and may ask questions about its purpose. "
    "The portal keeps a history of every booking for seven years for the auditors."
)


def filler(n: int, *, source: str = "travel.md") -> Passage:
    return passage(FILLER, title="Travel", section=f"Booking {n}", source=source, chunk_index=n)


CONFERENCE = passage(
    "Conference registrations go through the training request form. Submit the training "
    "request form three to five weeks before the conference starts.",
    title="Conferences",
    section="Requesting a conference",
    source="conferences.md",
)


@dataclass
class QuerySearch:
    """A search returning a fixed ranking per query opening: the first key the query starts with."""

    rankings: dict[str, list[Passage]]
    asked: list[str] = field(default_factory=list)

    def retrieve(
        self, question: str, *, audiences: Sequence[str] = ("everyone",), k: int | None = None
    ) -> list[Passage]:
        self.asked.append(question)
        for word, ranked in self.rankings.items():
            if question.lower().startswith(word):
                return ranked[: k or len(ranked)]
        return []


def test_interleave_takes_each_rank_of_every_list_once() -> None:
    a, b, c = filler(1), filler(2), filler(3)
    assert interleave([[a, b], [b, c]], 5) == [a, b, c]
    assert interleave([[a, b], [c]], 2) == [a, c]
    assert interleave([[b], [a, b, c]], 5, flat=True) == [b, a, c]


def test_a_one_part_question_is_searched_once() -> None:
    search = QuerySearch({"how do i": [filler(1)]})
    assert gather(search, "How do I book travel?", k=4) == [filler(1)]
    assert search.asked == ["How do I book travel?"]
    assert part_queries("How do I book travel?") == []


def test_a_later_part_is_searched_with_the_first_parts_topic() -> None:
    question = "Do I need a plan to go to a conference? And how far ahead should I submit it?"
    queries = part_queries(question)
    assert queries[0] == "Do I need a plan to go to a conference"
    assert queries[1].startswith("And how far ahead should I submit it?")
    assert "conference" in queries[1]


def test_the_second_parts_passage_is_gathered_into_the_top_k() -> None:
    # The whole question only finds the plan's neighbours; the second part's passage ranks
    # first for that part alone and must reach the k passages the answerer reads.
    plans = [filler(n, source="plans.md") for n in range(8)]
    search = QuerySearch({"and how far ahead": [CONFERENCE], "do i need a plan": plans})
    question = "Do I need a plan for this? And how far ahead should I submit the request?"
    found = gather(search, question, k=4)
    assert CONFERENCE in found and len(found) == 4
    assert found[:3] == plans[:3]  # the whole question's best passages come first
    assert search.retrieve(question, k=4) == plans[:4]  # without parts it would be missing


def test_a_rewritten_follow_ups_context_is_not_a_part() -> None:
    question = "And by when? (context: paid parental leave)"
    assert part_queries(question) == []


def test_compression_fits_the_fact_of_a_lower_passage_in_the_budget() -> None:
    passages = [filler(n) for n in range(5)] + [CONFERENCE]
    question = "How far ahead do I submit the training request form for a conference?"
    fact = "three to five weeks"
    assert not context_recall([p.text for p in passages], [fact], 1000)  # whole passages
    context = compress(question, passages, budget=1000)
    assert context_recall([p.text for p in context], [fact], 1000)
    assert sum(len(p.text) + 1 for p in context) <= 1000
    assert context_within([p.text for p in context], 1000).count("\n") >= len(context) - 1


def test_compression_keeps_the_best_passage_and_each_passages_heading() -> None:
    passages = [CONFERENCE, *(filler(n) for n in range(5))]
    context = compress("How far ahead do I submit the form?", passages, budget=600)
    assert context[0].text == CONFERENCE.text.replace(". ", ".\n")
    assert context[0].section == "Requesting a conference" and context[0].title == "Conferences"
    assert all(p.text for p in context)
    assert all(line in FILLER for p in context[1:] for line in p.text.splitlines())


def test_the_answerer_reads_exactly_the_compressed_context() -> None:
    passages = [filler(n) for n in range(5)] + [CONFERENCE]
    generator = ScriptedGenerator("Submit it three to five weeks before [6].")
    engine = AnswerEngine(
        FixedRetriever(passages), generator, EngineOptions(context_chars=1000, search_k=6)
    )
    question = "How far ahead do I submit the training request form for a conference?"
    answer = engine.answer(question, ASKER)
    prompt = str(generator.prompts[-1][-1].content)
    assert "three to five weeks" in prompt
    assert all(p.text in prompt for p in answer.context)
    assert len(answer.passages) == 6 and sum(len(p.text) for p in answer.context) <= 1000
    whole = AnswerEngine(
        FixedRetriever(passages), generator, EngineOptions(context_chars=0, search_k=6)
    )
    whole.answer(question, ASKER)
    assert "three to five weeks" not in str(generator.prompts[-1][-1].content)


def test_the_extractive_answer_quotes_from_the_compressed_context() -> None:
    passages = [filler(n) for n in range(7)] + [CONFERENCE]
    engine = AnswerEngine(FixedRetriever(passages), None, EngineOptions(search_k=8))
    answer = engine.answer("How many weeks ahead do I submit the training request form?", ASKER)
    assert "three to five weeks" in answer.text
    assert answer.citations[0].source == "conferences.md"
