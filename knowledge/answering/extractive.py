"""The no-model answer: the one or two sentences of the top passages that best answer the question.

Pure functions. Sentences (and table rows, which chunking renders as "Column: value; ..." lines)
are scored by the question words they contain, weighted by rarity, with a bonus for stating a
quantity when the question asks for one and a small prior for the passage's rank. The answer
quotes them with their citation numbers: short, never whole passages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answering.grounding import extract_facts
from knowledge.retrieval import Passage

_STOPWORD_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
get gets got had has have having he her here hers him his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours out over
own same she should so some such than that the their theirs them then there these they this
those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself northwind labs company employee employees much
many long quickly soon often early big time much need want please tell know also i'm i've
i'd it's what's let
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words that say nothing about a question's topic (the company's own name included)."""
QUANTITY_QUESTION = re.compile(
    r"\b(how (?:many|much|long|quickly|soon|often|early|big|far|old)|when|what time|by when|"
    r"deadline|until|minimum|maximum|limit|budget|cap|allowance|rate|percentage|amount)\b",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(€£$])")
MAX_WORDS = 70
SHORT_SENTENCE = 7
SECOND_SENTENCE_SHARE = 0.4


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence: its text, the passage number it comes from (1-based), its rank."""

    text: str
    number: int
    position: int
    partial: bool


@dataclass(frozen=True)
class ExtractiveAnswer:
    """The quoted answer and the passage numbers it cites."""

    text: str
    numbers: tuple[int, ...]
    score: float


def stem(word: str) -> str:
    """A crude stemmer: enough to match 'claims'/'claim', 'submitting'/'submit'."""
    if len(word) <= 4:
        return word
    if word.endswith("ies") or word.endswith("ied"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # "submitt" -> "submit"
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def terms(text: str) -> set[str]:
    """Content-word stems of `text`."""
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())
    return {stem(w.strip("'-")) for w in words if w not in STOPWORDS and len(w) > 1}


def sentences(passages: Sequence[Passage]) -> list[Sentence]:
    """Every sentence or table row of the passages, in order, numbered by passage.

    A short sentence ("We call this the phased return.") is kept with the one before it on
    the same line: alone it would quote a name without the facts it names.
    """
    found: list[Sentence] = []
    for number, passage in enumerate(passages, start=1):
        for line_index, line in enumerate(passage.text.splitlines()):
            pieces: list[str] = []
            for piece in _SENTENCE_END.split(line.strip()):
                text = piece.strip(" -*•\t")
                if pieces and len(text.split()) < SHORT_SENTENCE:
                    pieces[-1] = f"{pieces[-1]} {text}"
                elif text:
                    pieces.append(text)
            for index, text in enumerate(pieces):
                if len(text.split()) < SHORT_SENTENCE and not extract_facts(text):
                    continue  # a heading or a label, not an answer
                # A chunk may start mid-sentence (overlap with the previous chunk).
                partial = line_index == 0 and index == 0 and text[:1].islower()
                found.append(Sentence(text, number, len(found), partial))
    return found


def _idf(candidates: Sequence[Sentence]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for sentence in candidates:
        for term in terms(sentence.text):
            counts[term] = counts.get(term, 0) + 1
    total = len(candidates) or 1
    return {term: math.log(1 + total / count) for term, count in counts.items()}


def asks_for_quantity(question: str) -> bool:
    """Whether the question asks for an amount, a date, a time or a duration."""
    return bool(QUANTITY_QUESTION.search(question))


def score_sentence(
    sentence: Sentence, question_terms: set[str], idf: dict[str, float], wants_quantity: bool
) -> float:
    overlap = question_terms & terms(sentence.text)
    if not overlap:
        return 0.0
    score = sum(idf.get(term, 1.0) for term in overlap)
    if wants_quantity:
        # The question asks for an amount, a date or a duration: a sentence without one
        # is rarely the answer.
        score *= 1.5 if extract_facts(sentence.text) else 0.6
    score *= 1.0 - 0.05 * min(sentence.number - 1, 6)  # earlier passages rank higher
    if sentence.partial:
        score *= 0.7
    return score


def extractive_answer(
    question: str, passages: Sequence[Passage], *, max_sentences: int = 2
) -> ExtractiveAnswer | None:
    """The best sentences for `question` with [n] citations, or None when no sentence of the
    passages shares a content word with the question (nothing worth quoting)."""
    question_terms = terms(question)
    candidates = sentences(passages)
    idf = _idf(candidates)
    wants_quantity = asks_for_quantity(question)
    scored = sorted(
        ((score_sentence(s, question_terms, idf, wants_quantity), s) for s in candidates),
        key=lambda pair: (-pair[0], pair[1].position),
    )
    scored = [(score, s) for score, s in scored if score > 0]
    if not scored:
        return None
    best_score, best = scored[0]
    chosen = [best]
    covered = question_terms & terms(best.text)
    words = len(best.text.split())
    facts = {f.key for f in extract_facts(best.text)}
    for score, candidate in scored[1:]:
        if len(chosen) >= max_sentences:
            break
        adds = (question_terms & terms(candidate.text)) - covered
        new_facts = {f.key for f in extract_facts(candidate.text)} - facts
        # A second sentence must answer another part of the question, not repeat the first.
        another_part = bool(adds) or (wants_quantity and bool(new_facts) and _asks_two(question))
        fits = words + len(candidate.text.split()) <= MAX_WORDS
        if score >= SECOND_SENTENCE_SHARE * best_score and another_part and fits:
            chosen.append(candidate)
            covered |= adds
            facts |= new_facts
            words += len(candidate.text.split())
    chosen.sort(key=lambda s: s.position)
    text = " ".join(f"{_clip(s.text)} [{s.number}]" for s in chosen)
    numbers = tuple(sorted({s.number for s in chosen}))
    return ExtractiveAnswer(text=text, numbers=numbers, score=round(best_score, 4))


def _asks_two(question: str) -> bool:
    """A question with two parts ("how much ..., and how many ...?")."""
    return bool(re.search(r"\b(and|also|plus)\b", question, re.I))


def _clip(text: str) -> str:
    """A sentence cut to MAX_WORDS words (a very long one would be a whole passage)."""
    words = text.split()
    if len(words) <= MAX_WORDS:
        return text.rstrip()
    return " ".join(words[:MAX_WORDS]) + " …"
