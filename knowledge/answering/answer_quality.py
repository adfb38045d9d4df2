"""Answer quality on a QA file: key facts, abstention, grounding, citations, latency, length.

Metric functions are pure; `evaluate_answers` runs one or more AnswerServices over every
question. The JSON names (`answers.key_fact_accuracy`, ...) are read by other tools: keep them.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from knowledge.answering.answer_types import Answer, AnswerService, Asker, Turn
from knowledge.answering.rewrite import rewrite_rules
from knowledge.qa_harness import (
    CONTEXT_BUDGETS,
    QAItem,
    cites_expected,
    contains_fact,
    context_scores,
)
from knowledge.retrieval import Passage

_MARKERS = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Verdict:
    """Whether one answer passed, and why not."""

    passed: bool
    failures: tuple[str, ...]


def judge(item: QAItem, answer: Answer) -> Verdict:
    """Answerable: answered, every key fact present, no wrong value. Unanswerable: abstained."""
    if not item.answerable:
        return Verdict(answer.abstained, () if answer.abstained else ("answered an unanswerable",))
    if answer.abstained:
        return Verdict(False, ("abstained",))
    failures = [
        f"missing {fact if isinstance(fact, str) else ' | '.join(fact)}"
        for fact in item.answer_must_contain
        if not contains_fact(answer.text, fact)
    ]
    failures += [
        f"says {wrong}" for wrong in item.must_not_contain if contains_fact(answer.text, wrong)
    ]
    return Verdict(not failures, tuple(failures))


def history_of(item: QAItem) -> tuple[Turn, ...]:
    """The thread before the question (follow-up QA files carry it as `history`): a list of
    {"role", "text"} turns, or one string, the asker's earlier message."""
    raw = item.extra.get("history") or []
    if isinstance(raw, str):
        return (Turn(role="user", text=raw),)
    return tuple(Turn(role=turn["role"], text=turn["text"]) for turn in raw)


def thread_of(item: QAItem, service: AnswerService, asker: Asker) -> tuple[Turn, ...]:
    """The history as the asker's thread would hold it: an earlier question without the bot's
    reply gets the reply `service` gives it, as it would have in Slack."""
    turns = list(history_of(item))
    if turns and turns[-1].role == "user":
        earlier = service.answer(turns[-1].text, asker, tuple(turns[:-1]))
        turns.append(Turn(role="assistant", text=earlier.text))
    return tuple(turns)


def standalone_question(item: QAItem) -> str:
    """The question as the engine searches it: a follow-up with its thread's topic (the rules
    rewrite), so retrieval figures measure what answering retrieves."""
    return rewrite_rules(item.question, history_of(item))


class ContextBuilder(Protocol):
    """What measuring the answerer's context needs (AnswerEngine implements it)."""

    def gather(
        self, question: str, asker: Asker, history: tuple[Turn, ...] = ()
    ) -> tuple[str, list[Passage]]: ...

    def context(
        self, question: str, passages: Sequence[Passage], *, budget: int | None = None
    ) -> list[Passage]: ...


def answerer_context(
    items: Sequence[QAItem],
    engine: ContextBuilder,
    *,
    on_question: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Context recall of what the answerer reads (the engine's compressed context), built for
    each budget of CONTEXT_BUDGETS from the passages the engine gathers for the standalone
    question; the raw retrieval figures stay in `evaluate_retrieval`'s."""
    rows = []
    for item in items:
        asker = Asker(user_id=f"eval:{item.id}", audiences=item.audiences)
        standalone, found = engine.gather(item.question, asker, history_of(item))
        contexts = {b: engine.context(standalone, found, budget=b) for b in CONTEXT_BUDGETS}
        rows.append((item, contexts))
        if on_question:
            on_question()
    return context_scores(rows)


def words(text: str) -> int:
    """Words of an answer, citation markers and lone punctuation not counted."""
    return sum(1 for token in _MARKERS.sub(" ", text).split() if any(c.isalnum() for c in token))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


Row = tuple[QAItem, Answer]


def answer_scores(rows: Sequence[Row]) -> dict[str, Any]:
    """The answer figures over one backend's answers.

    - key_fact_accuracy: answerable questions answered with every key fact and no wrong value;
    - abstention_precision / _recall: abstentions that were on unanswerable questions / the
      unanswerable questions abstained on (null when there is nothing to divide by);
    - grounding_failure_rate: answers (not abstentions) whose generated text failed the
      grounding check and was replaced by quotes;
    - citation_accuracy: answered answerable questions citing at least one expected source;
    - latency_p50_s / _p95_s: total seconds per question; first_token_*: to the first token;
    - median_words: words per answer (abstentions excluded);
    - refusal_rate_answerable: answerable questions abstained on (as bad as answering an
      unanswerable one); by_kind: per kind, questions, pass rate and refusal rate.
    """
    answerable = [(item, answer) for item, answer in rows if item.answerable]
    unanswerable = [(item, answer) for item, answer in rows if not item.answerable]
    answered = [answer for _, answer in rows if not answer.abstained]
    abstained_right = sum(answer.abstained for _, answer in unanswerable)
    abstained_all = sum(answer.abstained for _, answer in rows)
    cited_right = [
        cites_expected([c.source_uri for c in answer.citations], item.expected_sources)
        for item, answer in answerable
        if not answer.abstained
    ]
    totals = [answer.timings.get("total", 0.0) for _, answer in rows]
    first = [
        answer.timings.get("first_token", answer.timings.get("total", 0.0)) for _, answer in rows
    ]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    rows_by_kind: dict[str, list[Row]] = defaultdict(list)
    for item, answer in rows:
        by_kind[item.kind].append(judge(item, answer).passed)
        rows_by_kind[item.kind].append((item, answer))
    return {
        "questions": len(rows),
        "key_fact_accuracy": _ratio(
            sum(judge(i, a).passed for i, a in answerable), len(answerable)
        ),
        "abstention_precision": _ratio(abstained_right, abstained_all),
        "abstention_recall": _ratio(abstained_right, len(unanswerable)),
        "grounding_failure_rate": _ratio(sum(a.grounding_failed for a in answered), len(answered)),
        "citation_accuracy": _ratio(sum(cited_right), len(cited_right)),
        "latency_p50_s": round(percentile(totals, 50), 3),
        "latency_p95_s": round(percentile(totals, 95), 3),
        "first_token_p50_s": round(percentile(first, 50), 3),
        "first_token_p95_s": round(percentile(first, 95), 3),
        "median_words": statistics.median([words(a.text) for a in answered]) if answered else 0,
        "abstained": abstained_all,
        "refusal_rate_answerable": _ratio(sum(a.abstained for _, a in answerable), len(answerable)),
        "pass_rate_by_kind": {
            kind: _ratio(sum(passes), len(passes)) for kind, passes in sorted(by_kind.items())
        },
        "by_kind": {kind: kind_scores(subset) for kind, subset in sorted(rows_by_kind.items())},
    }


def kind_scores(rows: Sequence[Row]) -> dict[str, Any]:
    """One kind's questions: how many, the share passed, the share refused."""
    return {
        "questions": len(rows),
        "pass_rate": _ratio(sum(judge(i, a).passed for i, a in rows), len(rows)),
        "refusal_rate": _ratio(sum(a.abstained for _, a in rows), len(rows)),
    }


def answer_json(item: QAItem, answer: Answer) -> dict[str, Any]:
    """One question's answer as the --json output shows it."""
    verdict = judge(item, answer)
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {"number": c.number, "source": c.source, "title": c.title, "section": c.section}
            for c in answer.citations
        ],
        "passed": verdict.passed,
        "failures": list(verdict.failures),
        "grounding_failed": answer.grounding_failed,
        "model_version": answer.model_version,
        "standalone_question": answer.standalone_question,
        "note": answer.note,
        "timings": answer.timings,
    }


def evaluate_answers(
    items: Sequence[QAItem],
    services: Mapping[str, AnswerService],
    *,
    on_answer: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Ask every question of every backend.

    Returns {"answers": <first backend's figures + its name>, "answers_by_backend":
    {name: figures}, "per_question": {id: {name: answer_json}}}.
    """
    rows: dict[str, list[Row]] = {name: [] for name in services}
    per_question: dict[str, dict[str, Any]] = defaultdict(dict)
    for item in items:
        asker = Asker(user_id=f"eval:{item.id}", audiences=item.audiences)
        for name, service in services.items():
            answer = service.answer(item.question, asker, thread_of(item, service, asker))
            rows[name].append((item, answer))
            per_question[item.id][name] = answer_json(item, answer)
            if on_answer:
                on_answer()
    by_backend = {name: answer_scores(backend_rows) for name, backend_rows in rows.items()}
    first = next(iter(services), None)
    return {
        "answers": {"backend": first, **by_backend[first]} if first else {},
        "answers_by_backend": by_backend,
        "per_question": dict(per_question),
    }
