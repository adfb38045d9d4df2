"""Grounding beyond figures: negations, existence claims and yes/no answers must match a passage.

Pure functions. A figure is checked by value (knowledge.answering.grounding); a claim without
one ("The agency does not provide long-term disability insurance", "Yes, contractors are
eligible") is checked by meaning, cheaply: some source sentence must say most of its words, and
one of those sentences must agree with it in polarity. "Does not provide X" against a passage
saying "provides X" fails; so does a claim whose words no passage says together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.answering.analysis import terms
from knowledge.answering.grounding import extract_facts

NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|nothing|nobody|cannot|without|ineligible|prohibited|"
    r"forbidden|unavailable|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|can't|won't|"
    r"shouldn't|mustn't|couldn't|wouldn't|mayn't|needn't|haven't|hasn't)\b",
    re.I,
)
_ANSWER_NO = re.compile(r"^\W*no\b", re.I)
_ANSWER_YES = re.compile(r"^\W*(?:yes|yep|correct)\b", re.I)
# A claim that something exists, is offered, allowed or required, or applies to someone.
_EXISTENCE = re.compile(
    r"\b(?:offers?|offered|provides?|provided|has|have|had|covers?|covered|includes?|included|"
    r"eligible|entitled|allowed|permitted|may|can|could|must|required|requires?|reimburs\w*|"
    r"pays?|paid|gets?|receives?|exists?|available|there\s+(?:is|are))\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CITATION = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
MIN_TERMS = 2
"""A sentence with fewer content words (\"No.\", \"Yes, you can.\") is checked with the next."""
MIN_OVERLAP = 0.6
"""Share of a claim's content words one source sentence must say to be about the same thing."""


@dataclass(frozen=True)
class Claim:
    """One checkable sentence of an answer: its text, polarity and content words."""

    text: str
    negative: bool
    words: frozenset[str]


def negative(sentence: str) -> bool:
    """Whether a sentence denies something ("is not eligible", "No, ...", "without a receipt")."""
    return bool(_ANSWER_NO.search(sentence) or NEGATION.search(sentence.replace("\u2019", "'")))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(_CITATION.sub(" ", text)) if s.strip()]


def claims(answer: str) -> list[Claim]:
    """The answer's negations, and its yes/no statements and existence claims that state no
    figure, as Claims.

    A bare "Yes." or "No." is joined to the sentence after it, which says what it affirms.
    """
    found: list[Claim] = []
    carried = ""
    for sentence in split_sentences(answer):
        text = f"{carried} {sentence}".strip()
        words = terms(text)
        if len(words) < MIN_TERMS:
            carried = text if (_ANSWER_NO.search(text) or _ANSWER_YES.search(text)) else ""
            continue
        carried = ""
        denies = negative(text)
        # A positive sentence stating a figure is checked by value (grounding) already.
        affirms = bool(_ANSWER_YES.search(text) or _EXISTENCE.search(text))
        if denies or (affirms and not extract_facts(text)):
            found.append(Claim(text, denies, frozenset(words)))
    return found


def supporting(claim: Claim, source_sentences: Sequence[tuple[str, frozenset[str]]]) -> bool:
    """Whether a source sentence says most of the claim's words with the same polarity."""
    for text, words in source_sentences:
        overlap = len(claim.words & words) / len(claim.words)
        if overlap >= MIN_OVERLAP and negative(text) == claim.negative:
            return True
    return False


def unsupported_claims(answer: str, sources: Iterable[str]) -> list[Claim]:
    """The answer's claims that no source sentence states with the same polarity."""
    source_sentences = [
        (sentence, frozenset(terms(sentence)))
        for source in sources
        for sentence in split_sentences(source)
    ]
    return [claim for claim in claims(answer) if not supporting(claim, source_sentences)]
