"""The questions a candidate is evaluated on: the dataset's test split, the golden set, QA files.

Each source becomes `knowledge.qa_harness.QAItem`s, so the one answer-scoring implementation
(`knowledge.answering.answer_quality`) judges them all. Key facts of a test or golden item are the
amounts, dates and durations of its target answer (the grounding check's fact extractor).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from knowledge.answering.grounding import extract_facts
from knowledge.qa_harness import QAItem, load_qa

UNKNOWN_SOURCE = "(unknown source)"
"""Stands in for the expected source of an answerable item whose source was not recorded; such
items do not count towards citation accuracy."""
_QUESTION = re.compile(r"<question>(.*?)</question>", re.S)
_SOURCE_KEYS = ("source", "source_name", "document_id", "doc_id")


class QuestionSourceError(ValueError):
    """A question file is missing or malformed; the message names it and the line."""


def sources_of(passages: Iterable[Any]) -> tuple[str, ...]:
    """Document names of passage or citation snapshots (dicts) or plain names, in order."""
    found: list[str] = []
    for passage in passages:
        name = passage if isinstance(passage, str) else None
        if isinstance(passage, Mapping):
            name = next((str(passage[k]) for k in _SOURCE_KEYS if passage.get(k)), None)
        if name and name not in found:
            found.append(name)
    return tuple(found)


def item_from_target(
    item_id: str,
    question: str,
    target: str,
    *,
    answerable: bool,
    sources: Sequence[str] = (),
    key_fact: str = "",
) -> QAItem:
    """A QAItem judged like the QA files: key facts from the target, abstention if unanswerable."""
    if not answerable:
        return QAItem(id=item_id, question=question, kind="unanswerable")
    facts: list[str] = [key_fact] if key_fact else []
    facts += [f.text for f in extract_facts(target) if f.text not in facts]
    return QAItem(
        id=item_id,
        question=question,
        kind="factual",
        expected_sources=tuple(sources) or (UNKNOWN_SOURCE,),
        answer_must_contain=tuple(facts),
    )


def test_split(dataset_dir: Path) -> list[QAItem]:
    """The dataset's test.jsonl (TRL prompt-completion lines) as QA items."""
    path = dataset_dir / "test.jsonl"
    if not path.is_file():
        raise QuestionSourceError(f"dataset {dataset_dir.name} has no test split at {path}")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(_test_item(json.loads(line), f"test:{dataset_dir.name}:{number}"))
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise QuestionSourceError(f"{path}:{number}: not a test example ({error})") from error
    return items


def _test_item(raw: Mapping[str, Any], item_id: str) -> QAItem:
    meta = raw.get("meta") or {}
    user = next(m["content"] for m in raw["prompt"] if m["role"] == "user")
    found = _QUESTION.search(user)
    question = str(meta.get("question") or (found.group(1) if found else user)).strip()
    target = str(raw["completion"][-1]["content"])
    answerable = bool(meta.get("answerable", meta.get("kind") != "unanswerable"))
    # File names of the cited passages (datasets built since they carry them); older
    # datasets name document@version only, which no citation matches.
    sources = sources_of(meta["sources"] if "sources" in meta else meta.get("documents") or ())
    return item_from_target(
        str(meta.get("id") or item_id),
        question,
        target,
        answerable=answerable,
        sources=sources,
        key_fact=str(meta.get("fact") or ""),
    )


def golden_items(rows: Iterable[Any]) -> list[QAItem]:
    """Approved admin-written pairs (knowledge.db.curation items) as QA items."""
    return [
        item_from_target(
            f"golden:{row.id}",
            row.question,
            row.correction or row.answer,
            answerable=row.answerable,
            sources=sources_of([*(row.citations or []), *(row.passages or [])]),
            key_fact=row.fact or "",
        )
        for row in rows
    ]


def qa_file(path: Path) -> list[QAItem]:
    if not path.is_file():
        raise QuestionSourceError(f"QA file not found: {path}")
    try:
        return load_qa(path)
    except ValueError as error:
        raise QuestionSourceError(str(error)) from error
