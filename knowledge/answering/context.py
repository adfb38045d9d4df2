"""The answerer's context: passages gathered per part of the question, compressed to a budget.

Two query-time steps between retrieval and the answer, both pure over a passage source:

- `gather`: a question of several parts ("how many sessions do we get, and can I go during
  work hours?") is searched whole and part by part, and the lists are interleaved, so the
  second part's passage is not pushed out of the top k by the first part's neighbours.
- `compress`: the question-relevant sentences of the top passages, each kept under its
  passage's title and section, packed into a character budget best first. Two chunks of about
  550 characters fill 1,000 characters whole; their relevant sentences leave room for the
  relevant sentences of the passages ranked after them. The answerer (the model's prompt and
  the extractive quotes) reads exactly this context, and `helpbot eval` measures its recall.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from knowledge.answering.answer_types import Turn
from knowledge.answering.extractive import (
    Query,
    Sentence,
    question_parts,
    rarity,
    score_sentence,
    sentences,
)
from knowledge.answering.rewrite import rewrite_rules
from knowledge.retrieval import Passage
from knowledge.stores.base import EVERYONE

DEFAULT_BUDGET = 2000
"""Characters of passage text the answerer's context holds (about three whole chunks)."""
_CONTEXT_SUFFIX = re.compile(r"\s*\(context: [^()]*\)\s*$")
WHOLE_QUESTION_HEAD = 3
"""A question of several parts keeps the whole question's best passages first, this many."""


class Search(Protocol):
    """What gathering needs from retrieval (knowledge.retrieval.Retriever implements it)."""

    def retrieve(
        self, question: str, *, audiences: Sequence[str] = ..., k: int | None = None
    ) -> list[Passage]: ...


def _key(passage: Passage) -> tuple[str, int, int]:
    return (passage.document_id, passage.version, passage.chunk_index)


def interleave(lists: Sequence[Sequence[Passage]], k: int, *, flat: bool = False) -> list[Passage]:
    """Round-robin over ranked lists (the first list first at each rank), each passage once;
    `flat`: one list after the other instead."""
    if flat:
        ordered = [passage for found in lists for passage in found]
    else:
        depth = max((len(found) for found in lists), default=0)
        ordered = [found[rank] for rank in range(depth) for found in lists if rank < len(found)]
    merged: list[Passage] = []
    seen: set[tuple[str, int, int]] = set()
    for passage in ordered:
        if _key(passage) not in seen:
            seen.add(_key(passage))
            merged.append(passage)
    return merged[:k]


def split_context(question: str) -> tuple[str, str]:
    """A rewritten follow-up's own words and its "(context: ...)" suffix (knowledge.answering.
    rewrite), which names the thread's topic and is no part of its own."""
    found = _CONTEXT_SUFFIX.search(question)
    if found is None:
        return question, ""
    return question[: found.start()].rstrip(), found.group(0)


def part_queries(question: str) -> list[str]:
    """The questions to search for the parts of a question of several parts (none for one
    part). A later part leaning on the first ("and how far ahead should I submit the
    request?") is searched as a follow-up to it, with the first part's topic words attached."""
    own, context = split_context(question)
    parts = question_parts(own)
    if len(parts) < 2:
        return []
    first = (Turn(role="user", text=parts[0]),)
    return [
        f"{query} {context}".strip()
        for query in parts[:1] + [rewrite_rules(part, first) for part in parts[1:]]
    ]


def gather(
    search: Search,
    question: str,
    *,
    audiences: Sequence[str] = (EVERYONE,),
    k: int = 8,
    head: int = WHOLE_QUESTION_HEAD,
) -> list[Passage]:
    """The question's k passages. For a question of several parts: the whole question's best
    `head`, then the parts' passages interleaved, then the rest of the whole question's."""
    whole = search.retrieve(question, audiences=audiences, k=k)
    queries = part_queries(question)
    if not queries:
        return whole
    found = [search.retrieve(query, audiences=audiences, k=k) for query in queries]
    return interleave([whole[:head], interleave(found, k), whole[head:]], k, flat=True)


def _queries(question: str) -> list[Query]:
    """The whole question's query, then one per part when it has several."""
    parts = question_parts(question)
    return [Query.of(question)] + ([Query.of(part) for part in parts] if len(parts) > 1 else [])


def selection_order(question: str, candidates: Sequence[Sentence]) -> list[int]:
    """Candidate indexes in the order the context takes them: every sentence of the best
    passage (retrieval's first choice, in its own order), then each other passage's best sentence in
    passage rank order, then each one's second best, and so on.

    Retrieval ranked the passages on their whole text and headings; within a passage the
    sentences are ranked by the question's words (the best score for the whole question or any
    of its parts). A passage sharing no word with the question (a paraphrase) still gives its
    sentences, in its own order, so a top-ranked passage is never left out.
    """
    idf = rarity(candidates)
    queries = _queries(question)
    by_passage: dict[int, list[tuple[float, int]]] = {}
    for index, sentence in enumerate(candidates):
        score = max(score_sentence(sentence, query, idf) for query in queries)
        by_passage.setdefault(sentence.number, []).append((-score, index))
    order = sorted(index for _, index in by_passage.pop(1, []))
    rankings = [sorted(pairs) for _, pairs in sorted(by_passage.items())]
    for rank in range(max((len(r) for r in rankings), default=0)):
        order += [ranking[rank][1] for ranking in rankings if rank < len(ranking)]
    return order


def compress(
    question: str,
    passages: Sequence[Passage],
    *,
    budget: int = DEFAULT_BUDGET,
) -> list[Passage]:
    """The relevant sentences of the passages within `budget` characters.

    Each returned passage is one of the inputs (title, section, source, scores) with its text
    cut to its chosen sentences, one per line in their original order. Passages come in the
    order their first sentence was chosen, so any prefix of the context holds the best part.
    """
    read = list(passages)
    candidates = sentences(read)
    chosen: dict[int, list[int]] = {}
    used = 0
    for index in selection_order(question, candidates):
        cost = len(candidates[index].text) + 1
        if used + cost > budget:
            continue
        used += cost
        chosen.setdefault(candidates[index].number, []).append(index)
    return [
        replace(read[number - 1], text="\n".join(candidates[i].text for i in sorted(indexes)))
        for number, indexes in chosen.items()
    ]
