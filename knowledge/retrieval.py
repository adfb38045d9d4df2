"""Retrieval: a question in, the best passages the asker may see out, cited and scored.

Every hit passes the registry gate: only a document's live version is served, so a re-index
never answers from two versions and a deleted document disappears the moment it is deleted,
before its chunks are even removed from the store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from knowledge.db import documents as registry
from knowledge.db.connection import Database
from knowledge.embeddings import Embedder
from knowledge.settings import setting_default
from knowledge.stores.base import EVERYONE, Hit, SearchFilter, SearchMode, VectorStore

# Hits are over-fetched so that gating and de-duplication still leave k passages.
OVERFETCH = 3


@dataclass(frozen=True)
class Passage:
    """A retrieved passage with everything a citation needs."""

    text: str
    title: str
    section: str
    source_uri: str
    document_id: str
    version: int
    chunk_index: int
    score: float
    bm25_score: float | None
    vector_score: float | None
    review_by: date | None
    stale: bool

    @property
    def source_name(self) -> str:
        """The file name the passage came from (what the QA file's expected_sources name)."""
        return source_name(self.source_uri)


def source_name(uri: str) -> str:
    return PurePosixPath(unquote(urlparse(uri).path) or uri).name or uri


@dataclass(frozen=True)
class RetrievalSettings:
    """How passages are retrieved; defaults are the Settings' (search_k, hybrid_alpha...)."""

    k: int = setting_default("search_k")
    alpha: float = setting_default("hybrid_alpha")
    mode: SearchMode = "hybrid"
    min_score: float = setting_default("min_score")
    stale_penalty: float = setting_default("stale_penalty")


def _normalised(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def deduplicate(hits: Sequence[Hit]) -> list[Hit]:
    """Drop hits whose text repeats (or is contained in) a better-ranked hit's text."""
    kept: list[Hit] = []
    seen: list[str] = []
    for hit in hits:
        text = _normalised(hit.chunk.text)
        if any(text == other or (len(text) > 40 and text in other) for other in seen):
            continue
        kept.append(hit)
        seen.append(text)
    return kept


class Retriever:
    """Hybrid search over the live knowledge, filtered to an asker's audiences."""

    def __init__(
        self, db: Database, store: VectorStore, embedder: Embedder, settings: RetrievalSettings
    ) -> None:
        self.db = db
        self.store = store
        self.embedder = embedder
        self.settings = settings

    def retrieve(
        self,
        question: str,
        *,
        audiences: Sequence[str] = (EVERYONE,),
        k: int | None = None,
        mode: SearchMode | None = None,
        min_score: float | None = None,
    ) -> list[Passage]:
        settings = self.settings
        k = k or settings.k
        mode = mode or settings.mode
        floor = settings.min_score if min_score is None else min_score
        visible = SearchFilter(audiences=list(audiences))
        if mode == "bm25":  # keywords alone: no question embedding needed
            hits = self.store.keyword_search(question, k=k * OVERFETCH, filters=visible)
        else:
            hits = self.store.search(
                question,
                self.embedder.encode_query(question),
                k=k * OVERFETCH,
                alpha=settings.alpha,
                mode=mode,
                filters=visible,
            )
        served, reviews = self.live_hits(hits)
        passages = [self._passage(h, reviews[h.chunk.document_id]) for h in deduplicate(served)]
        if mode == "hybrid":
            passages = [p for p in passages if p.score >= floor]
        passages.sort(key=lambda p: -p.score)
        return passages[:k]

    def live_hits(self, hits: Sequence[Hit]) -> tuple[list[Hit], dict[str, registry.ServedReview]]:
        """The registry gate: the hits of each document's live version, and each served
        document's review status. The registry, not the store, says how fresh a document is:
        a confirmed review moves its review-by date without a new version, and stored chunks
        keep the date they were written with."""
        if not hits:
            return [], {}
        with self.db.session() as session:
            reviews = registry.served_reviews(session, (h.chunk.document_id for h in hits))
        served = [
            h
            for h in hits
            if (review := reviews.get(h.chunk.document_id)) is not None
            and review.live_version == h.chunk.version
        ]
        return served, reviews

    def _passage(self, hit: Hit, review: registry.ServedReview) -> Passage:
        chunk = hit.chunk
        score = hit.score - (self.settings.stale_penalty if review.stale else 0.0)
        return Passage(
            text=chunk.text,
            title=chunk.title,
            section=chunk.section,
            source_uri=chunk.source_uri,
            document_id=chunk.document_id,
            version=chunk.version,
            chunk_index=chunk.chunk_index,
            score=score,
            bm25_score=hit.bm25_score,
            vector_score=hit.vector_score,
            review_by=review.review_by,
            stale=review.stale,
        )
