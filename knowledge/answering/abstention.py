"""When to say "our policies don't cover this": weak retrieval, uncovered words, or the model
saying so.

Pure functions. The first retrieval signal is the best passage's cosine similarity
(`vector_score`): the fused hybrid score is min-max scaled per question, so its top hit scores
about 1.0 whether or not the knowledge covers the question, and cannot be thresholded.

Cosine alone cannot tell "Can I bring my dog to the Toronto office?" from a real question: the
office passages it retrieves are close in meaning to "Toronto office", and nothing in the
similarity says that the one word the question is about, "dog", is in none of them. The second
signal, `term_coverage`, says so: the share of the question's distinctive words that the
retrieved passages mention. It is only consulted when the cosine is middling, because
paraphrases ("My grandmother passed away...", answered by bereavement leave) share few words
with the policies too; a high cosine is the evidence that they are answerable.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answering.extractive import terms
from knowledge.retrieval import Passage
from knowledge.settings import setting_default

DEFAULT_ABSTAIN_BELOW: float = setting_default("abstain_below")
"""Calibrated on the sample handbook QA with MiniLM-L6-v2 and 128-token chunks
(benchmarks/calibrate_abstention.py): no answerable question's best passage scores below it,
while 3 of the 10 unanswerable ones do. Settings.abstain_below is what the engine uses."""
DEFAULT_TERM_CHECK_BELOW: float = setting_default("abstain_term_check_below")
"""Between DEFAULT_ABSTAIN_BELOW and this cosine the passages must also cover the question's
terms. Calibrated with a 5% false-abstention budget on the sample handbook QA (recall 0.3 ->
0.5, false abstentions 0 -> 2 of 63: two paraphrases sharing no distinctive word with the
policies); on abstention_holdout.jsonl, never tuned on, recall 0.15 -> 0.3 with no new false
abstention. Settings.abstain_term_check_below is what the engine uses."""
DEFAULT_MIN_TERM_COVERAGE: float = setting_default("abstain_min_term_coverage")
"""In that cosine band, abstain when `term_coverage` is below this."""
PREFIX_LETTERS = 5
"""Two words of at least this many letters that start alike count as the same word:
"certify"/"certification", "grandmother"/"grandparent", "charitable"/"charity"."""

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


def content_terms(text: str) -> set[str]:
    """The extractive answer's content-word stems: accents folded ("António"), possessives
    ("employees'") and "-ly" ("yearly" matches "per year") dropped."""
    return terms(text)


def term_coverage(question: str, passages: Sequence[Passage]) -> float:
    """0..1: how much of the question's distinctive vocabulary the passages mention.

    Each question term is weighted by its rarity among the passages, log(1 + n / df), so the
    words every retrieved passage shares ("Toronto", "office", "leave") count for little and a
    word none of them contains ("dog") counts most (as if in half a passage). Titles and
    section headings count as part of a passage. 1.0 for a question without content words.
    """
    wanted = content_terms(question)
    if not wanted:
        return 1.0
    vocabularies = [content_terms(f"{p.title}\n{p.section}\n{p.text}") for p in passages]
    count = len(vocabularies)
    total = found = 0.0
    for term in wanted:
        in_passages = sum(_mentions(vocabulary, term) for vocabulary in vocabularies)
        weight = math.log(1 + count / (in_passages or 0.5)) if count else 1.0
        total += weight
        found += weight if in_passages else 0.0
    return found / total


def _mentions(vocabulary: set[str], term: str) -> bool:
    if term in vocabulary:
        return True
    if len(term) < PREFIX_LETTERS:
        return False
    prefix = term[:PREFIX_LETTERS]
    return any(word.startswith(prefix) for word in vocabulary)


@dataclass(frozen=True)
class AbstentionRule:
    """When retrieval is too weak to answer from: a low cosine, or a middling one with the
    question's distinctive words missing from the passages."""

    abstain_below: float = DEFAULT_ABSTAIN_BELOW
    term_check_below: float = DEFAULT_TERM_CHECK_BELOW
    min_term_coverage: float = DEFAULT_MIN_TERM_COVERAGE

    def checks_terms(self, cosine: float) -> bool:
        """Whether a question whose best passage scores `cosine` needs its terms checked."""
        return self.abstain_below <= cosine < self.term_check_below

    def abstains(self, signals: Signals) -> bool:
        if signals.cosine < self.abstain_below:
            return True
        return self.checks_terms(signals.cosine) and signals.coverage < self.min_term_coverage


@dataclass(frozen=True)
class Signals:
    """What the rule looks at for one question: best cosine and term coverage."""

    cosine: float
    coverage: float


def signals(question: str, passages: Sequence[Passage]) -> Signals:
    return Signals(retrieval_strength(passages), term_coverage(question, passages))


def should_abstain(question: str, passages: Sequence[Passage], rule: AbstentionRule) -> bool:
    """Abstain when nothing was retrieved or `rule` finds the retrieval too weak (the term
    coverage is only computed when the cosine falls in the checked band)."""
    if not passages:
        return True
    cosine = retrieval_strength(passages)
    coverage = term_coverage(question, passages) if rule.checks_terms(cosine) else 1.0
    return rule.abstains(Signals(cosine, coverage))


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


@dataclass(frozen=True)
class RuleCalibration:
    """A combined rule and how it sorts the calibration questions."""

    rule: AbstentionRule
    precision: float
    recall: float
    false_abstain_rate: float


def evaluate_rule(
    answerable: Sequence[Signals], unanswerable: Sequence[Signals], rule: AbstentionRule
) -> RuleCalibration:
    true_pos = sum(rule.abstains(s) for s in unanswerable)
    false_pos = sum(rule.abstains(s) for s in answerable)
    abstained = true_pos + false_pos
    return RuleCalibration(
        rule=rule,
        precision=round(true_pos / abstained, 4) if abstained else 1.0,
        recall=round(true_pos / len(unanswerable), 4) if unanswerable else 0.0,
        false_abstain_rate=round(false_pos / len(answerable), 4) if answerable else 0.0,
    )


def calibrate_rule(
    answerable: Sequence[Signals],
    unanswerable: Sequence[Signals],
    abstain_below: float,
    *,
    max_false_abstain: float = 0.05,
) -> RuleCalibration:
    """With the cosine cut fixed at `abstain_below`, the term check (a cosine ceiling and a
    coverage floor, each midway between two observed values) that catches the most
    unanswerable questions within the false-abstention budget; among equally good rules, the
    one with the fewest false abstentions, then the narrowest (lowest ceiling and floor)."""
    every = [*answerable, *unanswerable]
    cosines = sorted({s.cosine for s in every if s.cosine >= abstain_below})
    coverages = sorted({s.coverage for s in every})
    ceilings = [abstain_below] + [(a + b) / 2 for a, b in itertools.pairwise(cosines)]
    floors = [0.0] + [(a + b) / 2 for a, b in itertools.pairwise(coverages)]
    results = [
        evaluate_rule(
            answerable,
            unanswerable,
            AbstentionRule(abstain_below, round(ceiling, 4), round(floor, 4)),
        )
        for ceiling in ceilings
        for floor in floors
    ]
    allowed = [r for r in results if r.false_abstain_rate <= max_false_abstain]
    return max(
        allowed,
        key=lambda r: (
            r.recall,
            -r.false_abstain_rate,
            -r.rule.term_check_below,
            -r.rule.min_term_coverage,
        ),
    )
