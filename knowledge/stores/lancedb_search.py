"""Searching one LanceDB chunk table: the keyword and vector halves of a search, and fusion.

Searches go through LanceDB's async API on LanceDB's own background event loop (the one its
sync API runs on), so any thread can search without starting or touching an event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

from lancedb.background_loop import LOOP as LANCEDB_LOOP

from knowledge.stores.base import ChunkRecord, Hit, SearchMode
from knowledge.stores.fusion import Scored, relative_score_fusion
from knowledge.stores.lancedb_indices import HNSW_EF

# Each method fetches more than k so that fusion has both lists to work with.
CANDIDATES_PER_METHOD = 4
# What a search reads back: every column a ChunkRecord needs (never the vector).
COLUMNS = [
    "id",
    "document_id",
    "version",
    "chunk_index",
    "text",
    "title",
    "heading_path",
    "source_uri",
    "audiences",
    "review_by",
    "status",
]


def search_table(
    table: Any,
    query_text: str,
    query_vector: Sequence[float],
    *,
    k: int,
    alpha: float,
    mode: SearchMode,
    where: str | None,
) -> list[Hit]:
    """The k best chunks of an async table handle for one search mode, best first."""
    if mode == "hybrid":
        fetch = max(k * CANDIDATES_PER_METHOD, 20)
        keyword, vector = LANCEDB_LOOP.run(
            _both(
                _keyword(table, query_text, where, fetch),
                _vector(table, query_vector, where, fetch),
            )
        )
        return relative_score_fusion(keyword, vector, alpha=alpha, k=k)
    if mode == "bm25":
        keyword = LANCEDB_LOOP.run(_keyword(table, query_text, where, k))
        return [Hit(s.chunk, s.score, bm25_score=s.score) for s in keyword]
    vector = LANCEDB_LOOP.run(_vector(table, query_vector, where, k))
    return [Hit(s.chunk, s.score, vector_score=s.score) for s in vector]


async def _both(keyword: Any, vector: Any) -> tuple[list[Scored], list[Scored]]:
    """Run the two halves of a hybrid search together (LanceDB works outside the GIL)."""
    found_by_keyword, found_by_vector = await asyncio.gather(keyword, vector)
    return found_by_keyword, found_by_vector


async def _keyword(table: Any, text: str, where: str | None, limit: int) -> list[Scored]:
    if not text.strip():
        return []
    query = table.query().nearest_to_text(text, columns=["search_text"])
    if where:
        query = query.where(where)  # a pre-filter: the best `limit` of the rows that pass
    rows = (await query.select([*COLUMNS, "_score"]).limit(limit).to_arrow()).to_pylist()
    return [Scored(chunk_from_row(row), float(row["_score"])) for row in rows]


async def _vector(
    table: Any, vector: Sequence[float], where: str | None, limit: int
) -> list[Scored]:
    query = (
        table.query()
        .nearest_to(list(vector))
        .column("vector")
        .distance_type("cosine")
        .ef(max(HNSW_EF, limit))
        # Re-rank on the stored vectors: the HNSW index's own distances are quantised and on
        # another scale (squared L2, twice the cosine distance). No effect on a flat scan.
        .refine_factor(1)
    )
    if where:
        query = query.where(where)
    rows = (await query.select([*COLUMNS, "_distance"]).limit(limit).to_arrow()).to_pylist()
    # Cosine distance is 1 - similarity; callers want the similarity.
    return [Scored(chunk_from_row(row), 1.0 - float(row["_distance"])) for row in rows]


def chunk_from_row(row: dict[str, Any]) -> ChunkRecord:
    """A ChunkRecord from a row read with COLUMNS (no vector)."""
    review_by = row.get("review_by")
    return ChunkRecord(
        id=row["id"],
        document_id=row["document_id"],
        version=int(row["version"]),
        chunk_index=int(row["chunk_index"]),
        text=row["text"],
        title=row["title"],
        heading_path=tuple(row["heading_path"] or ()),
        source_uri=row["source_uri"],
        audiences=tuple(row["audiences"] or ()),
        review_by=review_by if isinstance(review_by, date) or review_by is None else None,
        status=row["status"],
    )
