"""Citations of an answer: [n] markers checked against what was shown, inferred when missing,
turned into Citation records, and review-overdue notes for the documents they cite."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from knowledge.answering.answer_types import Citation
from knowledge.answering.extractive import sentences, terms
from knowledge.answering.grounding import Fact, extract_facts, supported
from knowledge.retrieval import Passage

MIN_OVERLAP = 2
"""Content words an uncited answer without facts must share with a passage to be drawn from it."""
MIN_SHARE = 0.5
"""...and the share of the answer's content words that passage must contain."""
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# An answer's sentences: up to a sentence end (kept), or a line; a list item's "1." stays on.
_ANSWER_SENTENCE = re.compile(r"(?:^[ \t]*\d{1,2}[.)][ \t]+)?[^\n]+?(?:[.!?](?=\s|$)|$)", re.M)


def trim_answer(text: str, max_words: int) -> str:
    """The answer cut at the last sentence end within `max_words` (small models ramble)."""
    text = text.strip()
    words = text.split()
    if len(words) <= max_words:
        return text
    head = " ".join(words[:max_words])
    end = max(head.rfind(". "), head.rfind(".\n"), head.rfind("] "))
    return head[: end + 1].strip() if end > 0 else head + " …"


def resolve_citations(text: str, available: int) -> tuple[str, tuple[int, ...]]:
    """Keep [n] markers that point at a passage the model was shown; drop the others.

    Returns the cleaned text and the cited passage numbers in ascending order.
    """
    cited: set[int] = set()

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        valid = [n for n in numbers if 1 <= n <= available]
        cited.update(valid)
        return "".join(f"[{n}]" for n in valid)

    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", _MARKER.sub(keep, text))
    return cleaned.strip(), tuple(sorted(cited))


def closest(text: str, shown: list[Passage]) -> tuple[int, ...]:
    """The passage an uncited answer draws its words from, or () when none supports it.

    Supporting means sharing at least MIN_OVERLAP content words and MIN_SHARE of the answer's
    content words: an answer made of other words is not drawn from the passages.
    """
    words = terms(text)
    if not words:
        return ()
    overlaps = [(len(words & terms(p.text)), -n, n) for n, p in enumerate(shown, start=1)]
    best = max(overlaps, default=(0, 0, 0))
    supported = best[0] >= MIN_OVERLAP and best[0] / len(words) >= MIN_SHARE
    return (best[2],) if supported else ()


def attribute(text: str, question: str, shown: list[Passage]) -> tuple[str, tuple[int, ...]] | None:
    """Citations for an uncited answer that states facts: each sentence stating a fact gets the
    [n] of the passage row it restates. None when some such sentence restates no single row.

    A sentence's facts (those the question does not state itself) are pinned to the sentence or
    table row of the passages that states all of them, when
    - the row shares a word (not a number) with the sentence: "The answer is: 4" says nothing
      about which row its 4 comes from;
    - the row shares a word with the question, and no other row stating a figure matches the
      question's words better. A number that only a less relevant row states is a wrong-row
      answer ("20 weeks", the birthing parent's row, to a question about the non-birthing
      parent), not a paraphrase of the right one.
    """
    rows = [_Row(s.number, s.text) for s in sentences(shown)]
    rows = [row for row in rows if row.facts]
    idf = _idf(rows)
    question_facts = extract_facts(question)
    asked = _word_terms(question)

    def relevance(row: _Row) -> float:
        return sum(idf[term] for term in asked & row.words)

    pieces: list[str] = []
    numbers: set[int] = set()
    end = 0
    for match in _ANSWER_SENTENCE.finditer(text):
        sentence = match.group(0)
        facts = [f for f in extract_facts(sentence) if not supported(f, question_facts)]
        if not facts:
            continue
        words = _word_terms(sentence) - _word_terms(" ".join(f.text for f in facts))
        stating = [row for row in rows if row.states(facts) and words & row.words]
        rivals = [
            row
            for row in rows
            if not row.states(facts) and not all(supported(f, question_facts) for f in row.facts)
        ]
        best = max(stating, key=relevance, default=None)
        if best is None or relevance(best) == 0:
            return None
        if relevance(best) < max(map(relevance, rivals), default=0.0):
            return None
        numbers.add(best.number)
        # The marker goes before the sentence's closing punctuation: "... 16 weeks [1]."
        stop = match.end() - (1 if sentence[-1] in ".!?" else 0)
        pieces.append(f"{text[end:stop].rstrip()} [{best.number}]")
        end = stop
    if not numbers:
        return None
    return "".join(pieces) + text[end:], tuple(sorted(numbers))


class _Row:
    """A sentence or table row of a passage, with its facts and words worked out once."""

    def __init__(self, number: int, text: str) -> None:
        self.number = number
        self.facts = extract_facts(text)
        self.words = _word_terms(text)

    def states(self, facts: list[Fact]) -> bool:
        return all(supported(fact, self.facts) for fact in facts)


def _word_terms(text: str) -> set[str]:
    """Content-word stems without numbers (a number is a fact, checked on its own)."""
    return {term for term in terms(text) if not term[0].isdigit()}


def _idf(rows: list[_Row]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for row in rows:
        for term in row.words:
            counts[term] = counts.get(term, 0) + 1
    return {term: math.log(1 + len(rows) / count) for term, count in counts.items()}


def passage_support(passage: Passage) -> str:
    """What a passage backs up: its text, and the title and section it sits under."""
    return f"{passage.title}\n{passage.section}\n{passage.text}"


def stale_notes(cited: Sequence[Passage]) -> str:
    """'Note: <title> is overdue for review ...' for each cited document past its review date."""
    titles: dict[str, Passage] = {}
    for passage in cited:
        if passage.stale:
            titles.setdefault(passage.title, passage)
    notes = []
    for title, passage in titles.items():
        due = f" (review was due {passage.review_by.isoformat()})" if passage.review_by else ""
        notes.append(f"Note: {title} is overdue for review{due}; check with its owner.")
    return ("\n\n" + " ".join(notes)) if notes else ""


def citation(number: int, passage: Passage) -> Citation:
    """The citation [number] of a passage, as the Answer carries it."""
    return Citation(
        number=number,
        source=passage.source_name,
        title=passage.title,
        section=passage.section,
        source_uri=passage.source_uri,
        document_id=passage.document_id,
        version=passage.version,
        review_by=passage.review_by,
        stale=passage.stale,
        quote=passage.text,
    )
