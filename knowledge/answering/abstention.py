"""When to say "our policies don't cover this": weak retrieval, or the model saying so.

Pure functions. The retrieval signal is the best passage's cosine similarity (`vector_score`):
the fused hybrid score is min-max scaled per question, so its top hit scores about 1.0 whether
or not the knowledge covers the question, and cannot be thresholded.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.retrieval import Passage

DEFAULT_ABSTAIN_BELOW = 0.36
"""Calibrated on the sample handbook QA with MiniLM-L6-v2 and 128-token chunks
(benchmarks/calibrate_abstention.py): no answerable question's best passage scores below it,
while 3 of the 10 unanswerable ones do. Settings.abstain_below is what the engine uses."""

_NEG_VERB = (
    r"(?:do(?:es)?\s+not|don't|doesn't)\s+(?:say|mention|cover|contain|answer|include|specify)"
)
# A refusal is recognised only in the answer's opening, with the model (or the passages) as
# the subject: "The policy does not cover contractors" is an answer, not a refusal.
_DECLINE = re.compile(
    r"^\W*(?:(?:I'?m\s+)?sorry\b.{0,40}?)?"
    r"(?:I\s+(?:can(?:no|')t|could(?:n'|\s+no)t|am\s+(?:not\s+able|unable)\s+to|was\s+unable\s+to|"
    r"did(?:\s+not|n't))\s+(?:find|locate|see|answer)"
    r"|I\s+do(?:\s+not|n't)\s+(?:know|have|see)"
    r"|(?:there\s+is|I\s+found)\s+no\s+(?:information|mention|answer|details)"
    # "The passages do not mention ..." talks about the prompt, never about a policy; "the
    # policy does not cover contractors" is an answer unless its object is the question.
    r"|(?:the|these|provided)\s+(?:passages?|documents?|sources?|context)\s+"
    + _NEG_VERB
    + r"|(?:the|these|our)\s+polic(?:y|ies)\s+"
    + _NEG_VERB
    + r"\s+(?:this|that|it|your|the\s+question)"
    r"|(?:this|that|it)\s+is\s+not\s+(?:covered|mentioned|in\s+the))",
    re.I | re.S,
)


def retrieval_strength(passages: Sequence[Passage]) -> float:
    """The best cosine similarity among the passages (0.0 when nothing was found)."""
    scores = [p.vector_score for p in passages if p.vector_score is not None]
    return max(scores, default=0.0)


def confidence(passages: Sequence[Passage]) -> float:
    """0..1 confidence of an answer from these passages: the retrieval strength, clamped."""
    return min(max(retrieval_strength(passages), 0.0), 1.0)


def should_abstain(passages: Sequence[Passage], threshold: float) -> bool:
    """Abstain when nothing was retrieved or the best passage is too far from the question."""
    return not passages or retrieval_strength(passages) < threshold


def model_declined(text: str) -> bool:
    """Whether a generated answer opens by saying the passages do not answer the question."""
    return bool(_DECLINE.search(text.strip()[:200]))


def abstention_text(help_contact: str) -> str:
    """The honest answer when the policies do not cover a question, pointing somewhere useful."""
    contact = help_contact.strip() or "the People team"
    where = f"ask in {contact}" if contact.startswith("#") else f"contact {contact}"
    return (
        "I couldn't find this in our policies, so I'd rather not guess. "
        f"Please {where}: they can help."
    )


@dataclass(frozen=True)
class Calibration:
    """A threshold and how it sorts the calibration questions."""

    threshold: float
    precision: float
    """Share of abstentions that were on unanswerable questions."""
    recall: float
    """Share of unanswerable questions abstained on."""
    false_abstain_rate: float
    """Share of answerable questions abstained on."""


def evaluate_threshold(
    answerable: Sequence[float], unanswerable: Sequence[float], threshold: float
) -> Calibration:
    true_pos = sum(score < threshold for score in unanswerable)
    false_pos = sum(score < threshold for score in answerable)
    abstained = true_pos + false_pos
    return Calibration(
        threshold=round(threshold, 4),
        precision=round(true_pos / abstained, 4) if abstained else 1.0,
        recall=round(true_pos / len(unanswerable), 4) if unanswerable else 0.0,
        false_abstain_rate=round(false_pos / len(answerable), 4) if answerable else 0.0,
    )


def calibrate(
    answerable: Sequence[float], unanswerable: Sequence[float], *, max_false_abstain: float = 0.05
) -> Calibration:
    """The threshold (midway between two observed scores) that catches the most unanswerable
    questions while abstaining on at most `max_false_abstain` of the answerable ones; among
    equally good cuts, the one with the fewest false abstentions (the lowest)."""
    scores = sorted(set(answerable) | set(unanswerable))
    candidates = [0.0] + [(low + high) / 2 for low, high in itertools.pairwise(scores)]
    results = [evaluate_threshold(answerable, unanswerable, t) for t in candidates]
    allowed = [r for r in results if r.false_abstain_rate <= max_false_abstain]
    return max(allowed, key=lambda r: (r.recall, -r.false_abstain_rate, -r.threshold))
