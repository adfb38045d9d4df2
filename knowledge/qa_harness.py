"""The evaluation harness: QA files in, retrieval figures out (answer figures extend it).

Metric functions are pure; `evaluate_retrieval` runs a Retriever over every question in
each search mode. The JSON names here are read by other tools: keep them stable.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from knowledge.retrieval import Passage
from knowledge.stores.base import EVERYONE, SearchMode

Fact = str | list[str]
MODES: tuple[SearchMode, ...] = ("hybrid", "bm25", "vector")
CONTEXT_BUDGETS = (1000, 2000)
RECALL_AT = (1, 5, 10)


@dataclass(frozen=True)
class QAItem:
    """One question of a QA file (see the README for the format)."""

    id: str
    question: str
    kind: str = "factual"
    expected_sources: tuple[str, ...] = ()
    answer_must_contain: tuple[Fact, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    audiences: tuple[str, ...] = (EVERYONE,)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable" and bool(self.expected_sources)


KNOWN_KEYS = {
    "id",
    "question",
    "kind",
    "expected_sources",
    "answer_must_contain",
    "must_not_contain",
    "audiences",
}


def load_qa(path: Path) -> list[QAItem]:
    """Read a QA file; a malformed line is an error naming the line."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(
                QAItem(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    kind=str(raw.get("kind") or "factual"),
                    expected_sources=tuple(raw.get("expected_sources") or ()),
                    answer_must_contain=tuple(raw.get("answer_must_contain") or ()),
                    must_not_contain=tuple(raw.get("must_not_contain") or ()),
                    audiences=tuple(raw.get("audiences") or (EVERYONE,)),
                    extra={k: v for k, v in raw.items() if k not in KNOWN_KEYS},
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a QA item ({exc})") from exc
    return items


# --- pure metrics ------------------------------------------------------------------------
def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def contains_fact(text: str, fact: Fact) -> bool:
    """A fact is a string, or a list meaning 'any of these' (formatting variants)."""
    haystack = normalise(text)
    options = [fact] if isinstance(fact, str) else fact
    return any(normalise(option) in haystack for option in options)


def same_source(source: str, expected: str) -> bool:
    """Whether a hit's source (a file name, a path or a URI) is an expected source.

    QA files name sources by file name ("leave.md") or by a path relative to the corpus root
    ("travel-and-leave/leave.md"); a hit carries its file's URI or path. A path matches when
    it ends with the expected path at a folder boundary; a bare name matches a bare name.
    """
    hit = unquote(urlparse(source).path or source).replace("\\", "/")
    wanted = expected.replace("\\", "/").strip("/")
    if "/" not in wanted:
        return PurePosixPath(hit).name == wanted
    return hit == wanted or hit.endswith("/" + wanted)


def _found(sources: Sequence[str], expected: str) -> bool:
    return any(same_source(source, expected) for source in sources)


def recall_at(sources: Sequence[str], expected: Sequence[str], k: int) -> float:
    """Share of the expected sources found among the first k hits."""
    return sum(1 for wanted in expected if _found(sources[:k], wanted)) / len(expected)


def reciprocal_rank(sources: Sequence[str], expected: Sequence[str]) -> float:
    for rank, source in enumerate(sources, start=1):
        if any(same_source(source, wanted) for wanted in expected):
            return 1.0 / rank
    return 0.0


def cites_expected(sources: Sequence[str], expected: Sequence[str]) -> bool:
    """Whether any of an answer's cited sources is one of the expected ones."""
    return any(_found(sources, wanted) for wanted in expected)


def context_within(passages: Sequence[str], budget: int) -> str:
    """The ranked passages' text, cut at a character budget (what a small prompt can hold)."""
    text = ""
    for passage in passages:
        if len(text) >= budget:
            break
        text += passage + "\n"
    return text[:budget]


def context_recall(passages: Sequence[str], facts: Sequence[Fact], budget: int) -> bool:
    context = context_within(passages, budget)
    return all(contains_fact(context, fact) for fact in facts)


def mean(values: Iterable[float]) -> float:
    collected = list(values)
    return round(sum(collected) / len(collected), 4) if collected else 0.0


def retrieval_scores(rows: Sequence[tuple[QAItem, list[Passage]]]) -> dict[str, Any]:
    """recall@k, MRR and context recall over answerable questions, overall and by kind."""

    def figures(subset: Sequence[tuple[QAItem, list[Passage]]]) -> dict[str, float | int]:
        answerable = [(item, hits) for item, hits in subset if item.answerable]
        with_facts = [(item, hits) for item, hits in answerable if item.answer_must_contain]
        out: dict[str, float | int] = {"questions": len(answerable)}
        for k in RECALL_AT:
            out[f"recall@{k}"] = mean(
                recall_at([h.source_uri for h in hits], item.expected_sources, k)
                for item, hits in answerable
            )
        out["mrr"] = mean(
            reciprocal_rank([h.source_uri for h in hits], item.expected_sources)
            for item, hits in answerable
        )
        for budget in CONTEXT_BUDGETS:
            out[f"context_recall@{budget}"] = mean(
                float(context_recall([h.text for h in hits], item.answer_must_contain, budget))
                for item, hits in with_facts
            )
        return out

    by_kind: dict[str, list[tuple[QAItem, list[Passage]]]] = defaultdict(list)
    for item, hits in rows:
        by_kind[item.kind].append((item, hits))
    result: dict[str, Any] = dict(figures(rows))
    result["by_kind"] = {
        kind: figures(subset)
        for kind, subset in sorted(by_kind.items())
        if any(item.answerable for item, _ in subset)
    }
    return result


def context_scores(rows: Sequence[tuple[QAItem, dict[int, list[Passage]]]]) -> dict[str, Any]:
    """Context recall of what the answerer reads: each row holds one question's context as
    built for each budget in CONTEXT_BUDGETS; overall and by kind, answerable questions with
    key facts only."""

    def figures(subset: Sequence[tuple[QAItem, dict[int, list[Passage]]]]) -> dict[str, Any]:
        scored = [(item, by_budget) for item, by_budget in subset if item.answerable]
        scored = [(item, by_budget) for item, by_budget in scored if item.answer_must_contain]
        out: dict[str, Any] = {"questions": len(scored)}
        for budget in CONTEXT_BUDGETS:
            out[f"context_recall@{budget}"] = mean(
                float(
                    context_recall(
                        [p.text for p in by_budget[budget]], item.answer_must_contain, budget
                    )
                )
                for item, by_budget in scored
            )
        return out

    by_kind: dict[str, list[tuple[QAItem, dict[int, list[Passage]]]]] = defaultdict(list)
    for item, by_budget in rows:
        by_kind[item.kind].append((item, by_budget))
    result = figures(rows)
    result["by_kind"] = {
        kind: figures(subset)
        for kind, subset in sorted(by_kind.items())
        if any(item.answerable for item, _ in subset)
    }
    return result


def hit_json(passage: Passage) -> dict[str, Any]:
    return {
        "source": passage.source_name,
        "source_uri": passage.source_uri,
        "title": passage.title,
        "section": passage.section,
        "text": passage.text,
        "score": round(passage.score, 4),
        "bm25_score": None if passage.bm25_score is None else round(passage.bm25_score, 4),
        "vector_score": None if passage.vector_score is None else round(passage.vector_score, 4),
    }


# --- runner --------------------------------------------------------------------------
Retrieve = Callable[[QAItem, SearchMode], list[Passage]]


def evaluate_retrieval(
    items: Sequence[QAItem], retrieve: Retrieve, *, on_question: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Run every question in every mode; return {"retrieval": {...}, "questions": [...]}."""
    per_mode: dict[str, list[tuple[QAItem, list[Passage]]]] = {mode: [] for mode in MODES}
    for item in items:
        for mode in MODES:
            per_mode[mode].append((item, retrieve(item, mode)))
        if on_question:
            on_question()
    return {
        "retrieval": {mode: retrieval_scores(rows) for mode, rows in per_mode.items()},
        "questions": [
            {
                "id": item.id,
                "kind": item.kind,
                "question": item.question,
                "expected_sources": list(item.expected_sources),
                "hits": [hit_json(p) for p in hits],
            }
            for item, hits in per_mode["hybrid"]
        ],
    }
