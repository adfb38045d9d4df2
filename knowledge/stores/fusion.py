"""Hybrid ranking: fuse keyword and vector results as Weaviate's relativeScoreFusion does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.stores.base import ChunkRecord, Hit


@dataclass(frozen=True)
class Scored:
    """A chunk with one method's raw score (BM25 score or cosine similarity)."""

    chunk: ChunkRecord
    score: float


def _normalise(scored: Sequence[Scored]) -> dict[str, float]:
    """Min-max scale one method's scores to [0, 1]; a lone or tied result scales to 1."""
    if not scored:
        return {}
    low = min(s.score for s in scored)
    high = max(s.score for s in scored)
    span = high - low
    return {s.chunk.id: (s.score - low) / span if span > 0 else 1.0 for s in scored}


def relative_score_fusion(
    keyword: Sequence[Scored], vector: Sequence[Scored], *, alpha: float, k: int
) -> list[Hit]:
    """Fuse two ranked lists: alpha * vector + (1 - alpha) * keyword on min-max scaled scores.

    A chunk found by one method only gets 0 for the other. Raw scores are kept on the hit so
    callers can threshold on an absolute measure (cosine similarity), which scaling hides.
    Ties break on chunk id so the order is deterministic.
    """
    keyword_norm = _normalise(keyword)
    vector_norm = _normalise(vector)
    chunks = {s.chunk.id: s.chunk for s in (*keyword, *vector)}
    keyword_raw = {s.chunk.id: s.score for s in keyword}
    vector_raw = {s.chunk.id: s.score for s in vector}
    hits = [
        Hit(
            chunk=chunk,
            score=alpha * vector_norm.get(cid, 0.0) + (1 - alpha) * keyword_norm.get(cid, 0.0),
            bm25_score=keyword_raw.get(cid),
            vector_score=vector_raw.get(cid),
        )
        for cid, chunk in chunks.items()
    ]
    hits.sort(key=lambda hit: (-hit.score, hit.chunk.id))
    return hits[:k]
