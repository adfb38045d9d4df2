"""`curate synth`: synthetic items from the served public passages, by rules or a teacher model.

Every answerable item is stored with the passages a real question would see: its source
passage first, then what retrieval returns for the question (distractors that look relevant;
the dataset builder places the source among them and makes hard negatives from the rest).
A teacher (any OpenAI-compatible server) may write the questions instead of the rules; its
pairs are kept only when every figure of the answer is in the passage.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.messages import HumanMessage, SystemMessage

from knowledge.db import curation
from knowledge.db import documents as registry
from knowledge.embeddings import Embedder
from knowledge.generation.base import GenerationError
from knowledge.generation.openai_compat import OpenAICompatGenerator
from knowledge.retrieval import Passage, Retriever
from knowledge.services import Services
from knowledge.settings import Settings
from knowledge.synthetic_questions import KINDS, SyntheticItem, synthesize, uncovered_questions

log = logging.getLogger(__name__)
EVERYONE = "everyone"
TEACHER_SYSTEM = (
    "You write training data for an employee help assistant. From the policy passage, write "
    "up to 3 questions an employee would really ask that the passage answers, each with a "
    "one-sentence answer that copies the figures, dates and contacts exactly as written. "
    'Reply with JSON only: [{"question": "...", "answer": "...", "kind": "amount|duration|'
    'date|contact|eligibility|rule"}].'
)
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*%?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class Teacher(Protocol):
    def generate(self, messages: Sequence[Any], *, max_new_tokens: int | None = None) -> Any: ...


@dataclass
class SynthResult:
    created: int = 0
    skipped: int = 0
    """Already in curation (same question and source)."""
    by_kind: dict[str, int] = field(default_factory=dict)
    passages: int = 0
    teacher: bool = False
    teacher_rejected: int = 0
    """Teacher pairs dropped: unparseable, or a figure not in the passage."""
    teacher_failures: int = 0
    """Passages where the teacher failed and the rules were used instead."""


def served_passages(services: Services) -> list[Passage]:
    """Every chunk of the live version of each active document visible to everyone."""
    with services.db.session() as session:
        docs = [
            (d.id, d.live_version)
            for d in registry.list_all(session)
            if d.status == "active" and d.live_version and EVERYONE in (d.audiences or [])
        ]
    out = []
    for doc_id, version in docs:
        for chunk in services.store.list_chunks(doc_id, int(version)):
            out.append(
                Passage(
                    chunk.text, chunk.title, chunk.section, chunk.source_uri, chunk.document_id,
                    chunk.version, chunk.chunk_index, 1.0, None, None, chunk.review_by, False,
                )
            )  # fmt: skip
    return out


def make_teacher(settings: Settings) -> Teacher | None:
    """The configured teacher model (an OpenAI-compatible server), or None."""
    if not settings.teacher_base_url or not settings.teacher_model:
        return None
    return OpenAICompatGenerator(
        settings.teacher_base_url,
        settings.teacher_api_key.get_secret_value(),
        settings.teacher_model,
        timeout_s=settings.generation_timeout_s,
        max_new_tokens=400,
    )


def teacher_items(
    teacher: Teacher, passage: Passage, result: SynthResult
) -> list[SyntheticItem] | None:
    """The teacher's pairs for one passage that pass the figure check; None when it failed."""
    messages = [
        SystemMessage(TEACHER_SYSTEM),
        HumanMessage(f"Passage ({passage.title} > {passage.section}):\n{passage.text}"),
    ]
    try:
        text = str(teacher.generate(messages, max_new_tokens=400).text)
    except GenerationError as error:
        log.warning("teacher failed: %s", type(error).__name__)
        result.teacher_failures += 1
        return None
    try:
        pairs = json.loads(re.sub(r"^```(?:json)?|```$", "", text.strip()).strip())
    except ValueError:
        result.teacher_rejected += 1
        return []
    items = []
    for pair in pairs if isinstance(pairs, list) else []:
        question = str(pair.get("question", "")).strip() if isinstance(pair, dict) else ""
        answer = str(pair.get("answer", "")).strip() if isinstance(pair, dict) else ""
        figures = _FIGURE.findall(answer)
        if not question or not answer or any(f not in passage.text for f in figures):
            result.teacher_rejected += 1
            continue
        kind = str(pair.get("kind", "rule"))
        items.append(
            SyntheticItem(
                question=question if question.endswith("?") else question + "?",
                answer=answer,
                kind=kind if kind in KINDS[:-1] else "rule",
                answerable=True,
                fact=figures[0] if figures else "",
                document_id=passage.document_id,
                version=passage.version,
                chunk_index=passage.chunk_index,
                title=passage.title,
            )
        )
    return items


def run_synth(
    services: Services,
    *,
    actor: str,
    seed: int = 0,
    limit: int | None = None,
    teacher: Teacher | None = None,
    distractors: int = 5,
) -> SynthResult:
    """Generate synthetic items (at most `limit` answerable ones) and store them as `new`."""
    passages = served_passages(services)
    rng = random.Random(seed)
    rng.shuffle(passages)
    result = SynthResult(passages=len(passages), teacher=teacher is not None)
    if not passages:
        log.info("no served public passages: nothing to synthesize")
        return result
    answerable: list[SyntheticItem] = []
    for passage in passages:
        if limit is not None and len(answerable) >= limit:
            break
        made = teacher_items(teacher, passage, result) if teacher is not None else None
        if made is None:
            made = [i for i in synthesize([passage], seed=seed) if i.answerable]
        answerable.extend(made)
    answerable = answerable[:limit] if limit is not None else answerable
    unanswerable = uncovered_questions(passages, limit=max(2, len(answerable) // 4), rng=rng)
    by_key = {(p.document_id, p.version, p.chunk_index): p for p in passages}
    passages_of: dict[str, list[dict[str, Any]]] = {}
    everything = [*answerable, *unanswerable]
    base = services.retriever
    embedder = _BatchedQueries(services.embedder, [i.question for i in everything])
    retriever = Retriever(base.db, base.store, embedder, base.settings)  # type: ignore[arg-type]
    for item in everything:
        source = by_key.get((item.document_id, item.version, item.chunk_index))
        found = retriever.retrieve(item.question, k=distractors + 1)
        others = [p for p in found if p != source and _key(p) != _key(source)]
        chosen = ([source] if source else []) + others[:distractors]
        passages_of[item.question] = [_snapshot(p) for p in chosen]
    with services.db.session() as session:
        created, skipped = curation.add_synthetic(
            session, [*answerable, *unanswerable], actor=actor, passages_of=passages_of
        )
    result.created, result.skipped = created, skipped
    result.by_kind = dict(Counter(i.kind for i in [*answerable, *unanswerable]))
    log.info("synthetic items: %d new, %d already there", created, skipped)
    return result


class _BatchedQueries:
    """The embedding model with the questions' vectors computed in one batch: one call per
    question is many times slower on a busy CPU (thread start-up per call)."""

    def __init__(self, embedder: Embedder, texts: Sequence[str]) -> None:
        self._embedder = embedder
        vectors = embedder.encode(list(texts))
        self._vectors = {t: [float(x) for x in v] for t, v in zip(texts, vectors, strict=True)}

    @property
    def dimension(self) -> int:
        return self._embedder.dimension

    def encode_query(self, text: str) -> list[float]:
        return self._vectors.get(text) or self._embedder.encode_query(text)


def _key(passage: Passage | None) -> tuple[str, int, int] | None:
    return (passage.document_id, passage.version, passage.chunk_index) if passage else None


def _snapshot(passage: Passage) -> dict[str, Any]:
    row = dataclasses.asdict(passage)
    row["review_by"] = passage.review_by.isoformat() if passage.review_by else None
    return row
