"""The Weaviate schema of chunk collections: declared properties, checks, and the mapping of
chunks, filters and search results onto them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from weaviate import WeaviateClient
from weaviate.classes.config import (
    Configure,
    DataType,
    Property,
    Tokenization,
    VectorDistances,
)
from weaviate.classes.query import Filter
from weaviate.classes.tenants import Tenant
from weaviate.collections.classes.config import CollectionConfig
from weaviate.exceptions import UnexpectedStatusCodeError

from knowledge.stores.base import ChunkRecord, Hit, SchemaMismatchError, SearchFilter, SearchMode

log = logging.getLogger(__name__)

VECTOR_NAME = "default"
"""The one named vector of a chunk collection; vectors are always brought by helpbot."""

REINDEX_HINT = "build a new collection with `helpbot reindex --full` and activate it"


@dataclass(frozen=True)
class PropertySpec:
    """One declared property and the index options queries rely on."""

    name: str
    data_type: DataType
    tokenization: Tokenization | None = None
    searchable: bool = False
    filterable: bool = False


PROPERTIES: tuple[PropertySpec, ...] = (
    # Keyword search reads the body, the title and the headings (as the embedded store does).
    PropertySpec("text", DataType.TEXT, Tokenization.WORD, searchable=True),
    PropertySpec("title", DataType.TEXT, Tokenization.WORD, searchable=True),
    PropertySpec("heading_path", DataType.TEXT_ARRAY, Tokenization.WORD, searchable=True),
    # Ids and labels are matched whole (FIELD), never split into words.
    PropertySpec("document_id", DataType.TEXT, Tokenization.FIELD, filterable=True),
    PropertySpec("version", DataType.INT, filterable=True),
    PropertySpec("chunk_index", DataType.INT, filterable=True),
    PropertySpec("source_uri", DataType.TEXT, Tokenization.FIELD, filterable=True),
    PropertySpec("audiences", DataType.TEXT_ARRAY, Tokenization.FIELD, filterable=True),
    PropertySpec("review_by", DataType.DATE, filterable=True),
    PropertySpec("status", DataType.TEXT, Tokenization.FIELD, filterable=True),
)

KEYWORD_PROPERTIES = [p.name for p in PROPERTIES if p.searchable]
RETURN_PROPERTIES = [p.name for p in PROPERTIES]


def collection_config(name: str, *, multi_tenant: bool) -> dict[str, Any]:
    """Keyword arguments for `client.collections.create`: nothing left to the server to infer."""
    config: dict[str, Any] = {
        "name": name,
        "description": "helpbot policy chunks (text, provenance, audiences) with their embeddings",
        "properties": [
            Property(
                name=p.name,
                data_type=p.data_type,
                tokenization=p.tokenization,
                index_searchable=p.searchable,
                index_filterable=p.filterable,
            )
            for p in PROPERTIES
        ],
        "vector_config": Configure.Vectors.self_provided(
            name=VECTOR_NAME,
            vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE),
        ),
        "inverted_index_config": Configure.inverted_index(bm25_b=0.75, bm25_k1=1.2),
    }
    if multi_tenant:
        # One tenant per workspace; tenants appear on first write and wake on first use.
        config["multi_tenancy_config"] = Configure.multi_tenancy(
            enabled=True, auto_tenant_creation=True, auto_tenant_activation=True
        )
    return config


def ensure_collection(
    client: WeaviateClient, name: str, *, tenant: str | None, dimension: int
) -> None:
    """Create collection `name` if missing (idempotent, safe against a concurrent creator),
    then check it: properties, vector settings, tenancy, and the length of stored vectors."""
    if not client.collections.exists(name):
        try:
            client.collections.create(**collection_config(name, multi_tenant=bool(tenant)))
            log.info("created Weaviate collection %s", name)
        except UnexpectedStatusCodeError as exc:
            if exc.status_code != 422 or not client.collections.exists(name):
                raise
    collection = client.collections.use(name)
    check_config(collection.config.get(), multi_tenant=bool(tenant))
    if tenant and not collection.tenants.exists(tenant):
        collection.tenants.create([Tenant(name=tenant)])
    scoped = collection.with_tenant(tenant) if tenant else collection
    sample = scoped.query.fetch_objects(limit=1, include_vector=True, return_properties=[])
    for obj in sample.objects:
        stored = obj.vector.get(VECTOR_NAME)
        if stored is not None and len(stored) != dimension:
            raise SchemaMismatchError(
                f"Weaviate collection {name!r} holds {len(stored)}-dimensional vectors, this "
                f"helpbot embeds {dimension} (a different embedding model?); {REINDEX_HINT}"
            )


def check_config(config: CollectionConfig, *, multi_tenant: bool) -> None:
    """Raise SchemaMismatchError naming the first property or setting helpbot cannot work with.

    Extra properties are allowed (a newer helpbot may have added them); missing or changed ones
    are not, and neither is a server-side vectorizer.
    """
    name = config.name
    live = {p.name: p for p in config.properties}
    for spec in PROPERTIES:
        prop = live.get(spec.name)
        if prop is None:
            raise SchemaMismatchError(
                f"Weaviate collection {name!r} lacks property {spec.name!r}; {REINDEX_HINT}"
            )
        if prop.data_type != spec.data_type:
            raise SchemaMismatchError(
                f"Weaviate collection {name!r}: property {spec.name!r} is "
                f"{prop.data_type.value}, expected {spec.data_type.value}; {REINDEX_HINT}"
            )
        if spec.tokenization is not None and prop.tokenization != spec.tokenization:
            actual = prop.tokenization.value if prop.tokenization else None
            raise SchemaMismatchError(
                f"Weaviate collection {name!r}: property {spec.name!r} has tokenization "
                f"{actual}, expected {spec.tokenization.value}; {REINDEX_HINT}"
            )
        if spec.searchable and not prop.index_searchable:
            raise SchemaMismatchError(
                f"Weaviate collection {name!r}: property {spec.name!r} is not searchable "
                f"(indexSearchable=false) but keyword search needs it; {REINDEX_HINT}"
            )
        if spec.filterable and not prop.index_filterable:
            raise SchemaMismatchError(
                f"Weaviate collection {name!r}: property {spec.name!r} is not filterable "
                f"(indexFilterable=false) but filters need it; {REINDEX_HINT}"
            )
    _check_vectors(config)
    if config.multi_tenancy_config.enabled != multi_tenant:
        wanted = "enabled" if multi_tenant else "disabled"
        raise SchemaMismatchError(
            f"Weaviate collection {name!r}: multi-tenancy must be {wanted} for this store "
            f"(tenant configured: {multi_tenant}); {REINDEX_HINT}"
        )


def _check_vectors(config: CollectionConfig) -> None:
    name = config.name
    if config.vectorizer not in (None, "none") or config.vectorizer_config is not None:
        raise SchemaMismatchError(
            f"Weaviate collection {name!r} has vectorizer {config.vectorizer!s} configured; "
            f"helpbot brings its own vectors (vectorizer none); {REINDEX_HINT}"
        )
    named = config.vector_config or {}
    if VECTOR_NAME not in named:
        raise SchemaMismatchError(
            f"Weaviate collection {name!r} has no named vector {VECTOR_NAME!r} "
            f"(found {sorted(named) or 'the legacy unnamed vector'}); {REINDEX_HINT}"
        )
    vector = named[VECTOR_NAME]
    vectorizer = vector.vectorizer.vectorizer
    if str(getattr(vectorizer, "value", vectorizer)) != "none":
        raise SchemaMismatchError(
            f"Weaviate collection {name!r}: vector {VECTOR_NAME!r} has vectorizer "
            f"{getattr(vectorizer, 'value', vectorizer)} configured; helpbot brings its own "
            f"vectors (vectorizer none); {REINDEX_HINT}"
        )
    distance = vector.vector_index_config.distance_metric
    if distance != VectorDistances.COSINE:
        raise SchemaMismatchError(
            f"Weaviate collection {name!r}: vector {VECTOR_NAME!r} uses distance "
            f"{getattr(distance, 'value', distance)}, expected cosine; {REINDEX_HINT}"
        )


def to_properties(chunk: ChunkRecord) -> dict[str, Any]:
    """A chunk as Weaviate properties (absent values are left out, never sent as null)."""
    props: dict[str, Any] = {
        "text": chunk.text,
        "title": chunk.title,
        "heading_path": list(chunk.heading_path),
        "document_id": chunk.document_id,
        "version": chunk.version,
        "chunk_index": chunk.chunk_index,
        "source_uri": chunk.source_uri,
        "audiences": list(chunk.audiences),
        "status": chunk.status,
    }
    if chunk.review_by is not None:
        # Weaviate dates are instants: a review date is stored as midnight UTC.
        props["review_by"] = datetime(
            chunk.review_by.year, chunk.review_by.month, chunk.review_by.day, tzinfo=UTC
        )
    return props


def from_properties(chunk_id: str, props: dict[str, Any]) -> ChunkRecord:
    """A chunk back from Weaviate properties (no vector: searches do not return it)."""
    review_by = props.get("review_by")
    if isinstance(review_by, datetime):
        review_by = review_by.astimezone(UTC).date()
    return ChunkRecord(
        id=chunk_id,
        document_id=str(props.get("document_id", "")),
        version=int(props.get("version") or 0),
        chunk_index=int(props.get("chunk_index") or 0),
        text=str(props.get("text", "")),
        title=str(props.get("title", "")),
        heading_path=tuple(props.get("heading_path") or ()),
        source_uri=str(props.get("source_uri", "")),
        audiences=tuple(props.get("audiences") or ()),
        review_by=review_by if isinstance(review_by, date) else None,
        status=str(props.get("status", "")),
    )


def where_filter(filters: SearchFilter | None) -> tuple[Any, bool]:
    """(Weaviate filter or None, True when an empty list makes the filter match nothing).

    Every field is any-of: ContainsAny on a FIELD-tokenized property is an exact match on
    one of the values (and, for `audiences`, on one of the array's elements).
    """
    if filters is None:
        return None, False
    parts = []
    for prop, values in (
        ("audiences", filters.audiences),
        ("document_id", filters.document_ids),
        ("status", filters.statuses),
    ):
        if values is None:
            continue
        if not values:
            return None, True
        parts.append(Filter.by_property(prop).contains_any([str(v) for v in values]))
    if not parts:
        return None, False
    return (parts[0] if len(parts) == 1 else Filter.all_of(parts)), False


_EXPLAIN = re.compile(
    r"Result Set '?(?P<set>[\w,]+)'?\) Document [^:\s]+: original score "
    r"(?P<score>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|Inf|NaN))"
)


def component_scores(explain: str | None) -> tuple[float | None, float | None]:
    """(bm25, vector) raw scores from a hybrid explain string; None for a method that missed.

    Weaviate writes one line per result set: "Hybrid (Result Set keyword) Document <id>:
    original score 2.1, normalized score: 0.5"; the vector set's original score is
    1 - cosine distance, i.e. the cosine similarity.
    """
    bm25: float | None = None
    vector: float | None = None
    for match in _EXPLAIN.finditer(explain or ""):
        kind = match["set"].split(",")[0].lower()
        value = float(match["score"])
        if kind in ("keyword", "bm25", "bm25f", "sparsesearch"):
            bm25 = value
        elif kind.startswith(("vector", "near")):
            vector = value
    return bm25, vector


def to_hit(obj: Any, mode: SearchMode) -> Hit:
    """A search result object as a Hit with the scores its mode produces."""
    chunk = from_properties(str(obj.uuid), obj.properties)
    meta = obj.metadata
    if mode == "vector":
        similarity = 1.0 - float(meta.distance or 0.0)  # cosine distance -> similarity
        return Hit(chunk, similarity, vector_score=similarity)
    if mode == "bm25":
        score = float(meta.score or 0.0)
        return Hit(chunk, score, bm25_score=score)
    bm25, cosine = component_scores(meta.explain_score)
    return Hit(chunk, float(meta.score or 0.0), bm25_score=bm25, vector_score=cosine)
