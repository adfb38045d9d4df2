"""The reads a Weaviate chunk collection answers: keyword, vector and hybrid searches, and
pages of one document version's chunks. Each takes a collection handle; the store adds retries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from weaviate.classes.query import Filter, HybridFusion, MetadataQuery, Sort
from weaviate.collections import Collection

from knowledge.stores.base import ChunkRecord, Hit
from knowledge.stores.weaviate_schema import (
    KEYWORD_PROPERTIES,
    RETURN_PROPERTIES,
    VECTOR_NAME,
    from_properties,
    to_hit,
)

Handle = Collection[Any, Any]


def keyword_query(handle: Handle, text: str, *, k: int, where: Any) -> list[Hit]:
    found = handle.query.bm25(
        text,
        query_properties=KEYWORD_PROPERTIES,
        limit=k,
        filters=where,
        return_properties=RETURN_PROPERTIES,
        return_metadata=MetadataQuery(score=True),
    )
    return [to_hit(obj, "bm25") for obj in found.objects]


def vector_query(handle: Handle, vector: Sequence[float], *, k: int, where: Any) -> list[Hit]:
    found = handle.query.near_vector(
        list(vector),
        target_vector=VECTOR_NAME,
        limit=k,
        filters=where,
        return_properties=RETURN_PROPERTIES,
        return_metadata=MetadataQuery(distance=True),
    )
    return [to_hit(obj, "vector") for obj in found.objects]


def hybrid_query(
    handle: Handle, text: str, vector: Sequence[float], *, k: int, alpha: float, where: Any
) -> list[Hit]:
    # Relative-score fusion keeps the fused score in [0, 1]; the explain string carries both
    # raw scores, so one round trip gives all three numbers.
    found = handle.query.hybrid(
        text,
        vector=list(vector),
        alpha=alpha,
        target_vector=VECTOR_NAME,
        query_properties=KEYWORD_PROPERTIES,
        fusion_type=HybridFusion.RELATIVE_SCORE,
        limit=k,
        filters=where,
        return_properties=RETURN_PROPERTIES,
        return_metadata=MetadataQuery(score=True, explain_score=True),
    )
    return [to_hit(obj, "hybrid") for obj in found.objects]


def version_page_filter(document_id: str, version: int, *, after_index: int | None) -> Any:
    """The chunks of one document version, past `after_index` when set.

    Listing pages by key: Weaviate's cursor (`after`) refuses a filter, and one query's
    offset + limit may not pass QUERY_MAXIMUM_RESULTS, but "the next chunks past the last
    index seen, in index order" has no such limit.
    """
    where = Filter.by_property("document_id").equal(document_id) & Filter.by_property(
        "version"
    ).equal(int(version))
    if after_index is not None:
        where = where & Filter.by_property("chunk_index").greater_than(after_index)
    return where


def chunk_page(handle: Handle, where: Any, *, limit: int) -> list[ChunkRecord]:
    """Up to `limit` chunks matching `where`, in chunk order."""
    found = handle.query.fetch_objects(
        filters=where,
        limit=limit,
        sort=Sort.by_property("chunk_index", ascending=True),
        return_properties=RETURN_PROPERTIES,
    )
    return [from_properties(str(obj.uuid), obj.properties) for obj in found.objects]
