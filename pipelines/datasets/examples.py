"""Training examples from reviewed items (pure): prompts by THE prompt builder, targets, KTO rows.

Placement follows what the first LoRA run taught (design/LEARNING-NOTES.md): a synthetic
answer's passage sits at position 1, 2 or 3 among distractors that look relevant (RAFT), and
the same question over distractors alone, none holding the fact, is a hard negative whose
target is the abstention reply, so the model learns to refuse only when the answer is absent.
Refusing is the costly mistake (a refused answerable question loses its facts, while an
ungrounded answer falls back to quotes), so a correction that refuses becomes the one abstention
reply and counts toward the abstention cap, and each RAFT positive can appear at several positions.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from knowledge.answering.abstention import model_declined
from knowledge.answering.context import compress
from knowledge.answering.prompts import training_example
from knowledge.generation.base import ChatMessage
from knowledge.retrieval import Passage

ABSTAIN_TARGET = "I can't find this in our policies."
"""The abstention reply the system prompt asks for (rule 3); the engine recognises it."""
_CITATION = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


@dataclass(frozen=True)
class ItemData:
    """What the builder needs of one approved curation item (plain values, no ORM)."""

    id: int
    source: str
    kind: str
    label: str
    question: str
    answer: str
    correction: str | None
    answerable: bool
    fact: str
    passages: tuple[Mapping[str, Any], ...]
    asker_id: str | None = None


@dataclass(frozen=True)
class Example:
    """One supervised (prompt, completion) pair, or a KTO row when `label` is not None."""

    item_id: int
    question: str
    passages: tuple[Passage, ...]
    target: str
    variant: str
    """answer | correction | abstention | hard_negative | unanswerable | kto"""
    label: bool | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def abstains(self) -> bool:
        return self.target == ABSTAIN_TARGET


def to_passage(row: Mapping[str, Any]) -> Passage:
    """A stored passage snapshot back as a Passage (missing fields get neutral values)."""
    values: dict[str, Any] = {
        "text": "",
        "title": "",
        "section": "",
        "source_uri": "",
        "document_id": "",
        "version": 0,
        "chunk_index": -1,
        "score": 0.0,
        "bm25_score": None,
        "vector_score": None,
        "review_by": None,
        "stale": False,
    }
    values.update({f.name: row[f.name] for f in fields(Passage) if f.name in row})
    if isinstance(values["review_by"], str):
        values["review_by"] = date.fromisoformat(values["review_by"])
    return Passage(**values)


def fit_citations(
    answer: str, passages: Sequence[Passage], k: int
) -> tuple[str, tuple[Passage, ...]]:
    """The first `k` passages, with any cited passage beyond them moved in (replacing the
    lowest-ranked uncited ones) and the answer's [n] marks renumbered to match."""
    cited = [int(n) for n in _CITATION.findall(answer) if 0 < int(n) <= len(passages)]
    wanted = list(dict.fromkeys(cited))
    chosen = list(range(min(k, len(passages))))
    for number in wanted:
        index = number - 1
        if index in chosen:
            continue
        spare = [i for i in reversed(chosen) if i + 1 not in wanted]
        if not spare:
            break
        chosen[chosen.index(spare[0])] = index
    chosen.sort()
    renumber = {old + 1: new + 1 for new, old in enumerate(chosen)}

    def mark(match: re.Match[str]) -> str:
        new = renumber.get(int(match.group(1)))
        return f"[{new}]" if new else ""

    text = re.sub(r"\s+([.,;])", r"\1", _CITATION.sub(mark, answer)).strip()
    return text, tuple(passages[i] for i in chosen)


def cite(answer: str, passages: Sequence[Passage]) -> str:
    """An uncited answer with a [n] mark for the passage holding its figures (or most of its
    words); unchanged when it already cites or nothing matches."""
    if _CITATION.search(answer) or not passages:
        return answer
    numbers = _NUMBER.findall(answer)
    best, best_score = 0, 0.0
    for number, passage in enumerate(passages, start=1):
        text = passage.text.lower()
        if numbers:
            score = sum(_has_number(text, n) for n in numbers) / len(numbers)
        else:
            words = set(re.findall(r"[a-z]{4,}", answer.lower()))
            score = len(words & set(re.findall(r"[a-z]{4,}", text))) / max(len(words), 1)
        if score > best_score:
            best, best_score = number, score
    if best_score < 0.5:
        return answer
    body = answer.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    return f"{body[: len(body) - len(end)]} [{best}]{end}"


def _has_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![\d.,]){re.escape(number)}(?!\d)", text) is not None


def item_examples(
    item: ItemData, *, k: int, rng: random.Random, placements: int = 1
) -> list[Example]:
    """The SFT examples and KTO rows of one approved item (`placements`: answer examples per
    synthetic item, its passage at that many different positions)."""
    passages = [to_passage(p) for p in item.passages]
    if item.source == "synthetic":
        return _synthetic(item, passages, k, rng, placements)
    out: list[Example] = []
    if item.correction and model_declined(item.correction):
        # The admin says the policies do not answer it: the system prompt's one reply.
        out.append(_example(item, passages[:k], ABSTAIN_TARGET, "abstention"))
        if item.answer and not model_declined(item.answer):
            wrong, wrong_shown = fit_citations(item.answer, passages, k)
            out.append(_example(item, wrong_shown, wrong, "kto", label=False))
    elif item.correction:  # a correction wins, even over the bot's refusal
        text, shown = fit_citations(cite(item.correction, passages[:k]), passages, k)
        out.append(_example(item, shown, text, "correction"))
        if item.answer:
            wrong, wrong_shown = fit_citations(item.answer, passages, k)
            out.append(_example(item, wrong_shown, wrong, "kto", label=False))
    elif item.label == "negative":
        text, shown = fit_citations(item.answer, passages, k)
        return [_example(item, shown, text, "kto", label=False)]
    elif not item.answerable:
        out.append(_example(item, passages[:k], ABSTAIN_TARGET, "abstention"))
    else:
        text, shown = fit_citations(cite(item.answer, passages[:k]), passages, k)
        out.append(_example(item, shown, text, "answer"))
    sft = out[0]
    out.append(_example(item, sft.passages, sft.target, "kto", label=True))
    return out


def _synthetic(
    item: ItemData, passages: list[Passage], k: int, rng: random.Random, placements: int = 1
) -> list[Example]:
    if not item.answerable:
        return [_example(item, passages[:k], ABSTAIN_TARGET, "unanswerable")]
    if not passages:
        return []
    source, others = passages[0], passages[1:]
    lacking = [p for p in others if not _holds_answer(p, item)]
    distractors = lacking[: k - 1]
    slots = list(range(len(distractors) + 1))
    positions = rng.sample(slots, min(max(placements, 1), len(slots)))
    out = []
    for position in positions:
        shown = [*distractors[:position], source, *distractors[position:]]
        target = item.correction or item.answer
        target = target if _CITATION.search(target) else _with_mark(target, position + 1)
        out.append(_example(item, shown, target, "answer"))
    if distractors:
        out.append(_example(item, lacking[:k], ABSTAIN_TARGET, "hard_negative"))
    return out


FACT_KINDS = ("amount", "duration", "date", "contact")


def _holds_answer(passage: Passage, item: ItemData) -> bool:
    """Whether a passage states the item's answer: its key fact (for facts), or the answer
    sentence itself (chunks overlap, so a neighbour may repeat it)."""
    text = " ".join(passage.text.lower().split())
    if item.kind in FACT_KINDS and item.fact and item.fact.lower() in text:
        return True
    answer = " ".join((item.correction or item.answer).lower().split())
    return bool(answer) and answer[:60] in text


def _with_mark(answer: str, number: int) -> str:
    body = answer.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    return f"{body[: len(body) - len(end)]} [{number}]{end}"


def _example(
    item: ItemData,
    passages: Sequence[Passage],
    target: str,
    variant: str,
    *,
    label: bool | None = None,
) -> Example:
    return Example(item.id, item.question, tuple(passages), target, variant, label)


def messages_json(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES[m.type], "content": str(m.content)} for m in messages]


def to_record(
    example: Example, question: str, target: str, meta: dict[str, Any], *, context_chars: int = 0
) -> dict[str, Any]:
    """The JSONL row: TRL conversational prompt-completion (plus `label` for KTO rows).

    With `context_chars`, the passages are compressed exactly as the answer engine compresses
    them for the model (the same function, the same budget)."""
    passages: Sequence[Passage] = example.passages
    if context_chars > 0:
        passages = compress(question, passages, budget=context_chars)
    messages = messages_json(training_example(question, passages, target))
    row: dict[str, Any] = {"prompt": messages[:-1], "completion": messages[-1:]}
    if example.label is not None:
        row["label"] = example.label
    row["meta"] = meta
    return row
