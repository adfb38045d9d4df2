"""Search for the fake: filtered fetch, BM25, vector kNN and hybrid fusion, as Weaviate ranks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from weaviate.proto.v1 import search_get_pb2

from tests.fakes.weaviate_server.filters import Predicate
from tests.fakes.weaviate_server.keyword_index import EN_STOPWORDS, query_terms
from tests.fakes.weaviate_server.schema import vector_names
from tests.fakes.weaviate_server.state import Collection, Shard

# Each hybrid sub-search fetches at least this many candidates before fusion.
HYBRID_SUBSEARCH_LIMIT = 100


class QueryError(ValueError):
    """A query Weaviate refuses (bad property, wrong vector length, ...)."""


class Unsupported(NotImplementedError):
    """A feature the fake does not implement (it says so instead of answering wrongly)."""


@dataclass
class Found:
    """One result with the metadata a query can ask for."""

    uuid: str
    score: float | None = None
    explain: str | None = None
    distance: float | None = None
    certainty: float | None = None
    secondary: float = 0.0


def allowed_ids(shard: Shard, predicate: Predicate | None) -> set[str] | None:
    """Every object passing the filter (None: no filter) - a full scan."""
    if predicate is None:
        return None
    return {u for u, obj in shard.objects.items() if predicate(u, obj.properties, obj.cache)}


class Accept:
    """Whether one object passes the filter, checked only for search candidates and remembered.

    Weaviate pre-filters; checking candidates as they come gives the same results and keeps the
    fake fast on large shards.
    """

    def __init__(self, shard: Shard, predicate: Predicate | None) -> None:
        self.shard = shard
        self.predicate = predicate
        self._seen: dict[str, bool] = {}

    def __call__(self, uuid: str) -> bool:
        if self.predicate is None:
            return True
        verdict = self._seen.get(uuid)
        if verdict is None:
            obj = self.shard.objects[uuid]
            verdict = self._seen[uuid] = self.predicate(uuid, obj.properties, obj.cache)
        return verdict

    def all(self) -> set[str] | None:
        return allowed_ids(self.shard, self.predicate)


def target_vector(collection: Collection, requested: list[str]) -> str:
    configured = vector_names(collection.definition)
    if requested:
        if len(requested) > 1:
            raise Unsupported("multi-target vector search is not supported by this server")
        if requested[0] not in configured:
            raise QueryError(
                f"collection {collection.name} does not have a vector named {requested[0]!r}"
            )
        return requested[0]
    if len(configured) == 1:
        return next(iter(configured))
    raise QueryError(
        f"multiple vectors configured for class {collection.name}: specify a target vector"
    )


def _distances(
    matrix: np.ndarray, row_norms: np.ndarray, query: np.ndarray, metric: str
) -> np.ndarray:
    if metric == "cosine":
        norms = row_norms * float(np.linalg.norm(query))
        norms[norms == 0] = 1.0
        result: np.ndarray = 1.0 - (matrix @ query) / norms
        return result
    if metric == "dot":
        return -(matrix @ query)
    if metric == "l2-squared":
        return np.sum((matrix - query) ** 2, axis=1)
    if metric == "manhattan":
        return np.sum(np.abs(matrix - query), axis=1)
    return np.sum(matrix != query, axis=1).astype(np.float32)


def vector_search(
    collection: Collection,
    shard: Shard,
    name: str,
    query: np.ndarray,
    accept: Accept,
    limit: int,
    *,
    max_distance: float | None = None,
) -> list[Found]:
    """Exact kNN (Weaviate uses HNSW; exact results are what HNSW approximates)."""
    ids, matrix, row_norms = shard.matrix(name)
    if not ids:
        return []
    if matrix.shape[1] != len(query):
        raise QueryError(
            "vector search: knn search: distance between entrypoint and query node: "
            f"vector lengths don't match: {matrix.shape[1]} vs {len(query)}"
        )
    metric = vector_names(collection.definition)[name]
    dists = _distances(matrix, row_norms, query.astype(np.float32), metric)
    found: list[Found] = []
    for i in np.argsort(dists, kind="stable").tolist():
        if not accept(ids[i]):
            continue
        dist = float(dists[i])
        if max_distance is not None and dist > max_distance:
            break
        found.append(
            Found(
                ids[i],
                distance=dist,
                certainty=1 - dist / 2 if metric == "cosine" else None,
                secondary=1 - dist,
            )
        )
        if len(found) >= limit:
            break
    return found


def keyword_search(
    collection: Collection,
    shard: Shard,
    query: str,
    properties: list[str],
    accept: Accept,
    limit: int,
    *,
    require_all: bool = False,
    minimum_match: int = 0,
) -> list[Found]:
    searchable = collection.searchable()
    inverted = collection.definition["invertedIndexConfig"]
    stopwords_cfg = inverted["stopwords"]
    stopwords = set(EN_STOPWORDS if stopwords_cfg.get("preset", "en") == "en" else ())
    stopwords |= set(stopwords_cfg.get("additions") or ())
    stopwords -= set(stopwords_cfg.get("removals") or ())
    wanted: dict[str, tuple[list[str], float]] = {}
    for entry in properties or list(searchable):
        name, _, boost = entry.partition("^")
        if name not in searchable:
            known = {p["name"] for p in collection.definition["properties"]}
            if name in known:
                raise QueryError(f"property '{name}' is not indexed as searchable")
            raise QueryError(
                f"could not find property '{name}' in class '{collection.name}' for bm25 search"
            )
        terms = query_terms(query, searchable[name], frozenset(stopwords))
        wanted[name] = (terms, float(boost) if boost else 1.0)
    scored = shard.keyword.bm25(
        wanted,
        k1=float(inverted["bm25"]["k1"]),
        b=float(inverted["bm25"]["b"]),
        accept=accept,
        require_all=require_all,
        minimum_match=minimum_match,
    )
    ranked = sorted(scored.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    return [Found(u, score=s, explain=e, secondary=s) for u, (s, e) in ranked]


def fuse(
    result_sets: list[list[Found]], weights: list[float], names: list[str], *, ranked: bool
) -> list[Found]:
    """Weaviate's relativeScoreFusion (min-max scaled, weighted sum) or rankedFusion."""
    fused: dict[str, Found] = {}
    for results, weight, name in zip(result_sets, weights, names, strict=True):
        scores = [r.secondary for r in results]
        low, high = (min(scores), max(scores)) if scores else (0.0, 0.0)
        for rank, res in enumerate(results):
            if ranked:
                score = weight / (rank + 60)
                line = (
                    f"Hybrid (Result Set {name}) Document {res.uuid} "
                    f"contributed {score:.9g} to the score"
                )
            else:
                score = weight * ((res.secondary - low) / (high - low) if high != low else 1.0)
                line = (
                    f"Hybrid (Result Set {name}) Document {res.uuid}: "
                    f"original score {res.secondary:.9g}, normalized score: {score:.9g}"
                )
            previous = fused.get(res.uuid)
            if previous is not None:
                score += previous.score or 0.0
                line += " - " + (previous.explain or "")
            fused[res.uuid] = Found(
                res.uuid,
                score=score,
                explain=(res.explain or "") + "\n" + line,
                secondary=res.secondary,
            )
    return sorted(fused.values(), key=lambda f: (-(f.score or 0.0), -f.secondary, f.uuid))


def hybrid_search(
    collection: Collection,
    shard: Shard,
    *,
    query: str,
    alpha: float,
    vector: np.ndarray | None,
    vector_name: str,
    properties: list[str],
    accept: Accept,
    limit: int,
    ranked: bool,
    max_distance: float | None = None,
) -> list[Found]:
    sub_limit = max(limit, HYBRID_SUBSEARCH_LIMIT)
    result_sets: list[list[Found]] = []
    weights: list[float] = []
    names: list[str] = []
    if query:
        if alpha < 1:
            result_sets.append(
                keyword_search(collection, shard, query, properties, accept, sub_limit)
            )
            weights.append(1 - alpha)
            names.append("keyword")
        if alpha > 0:
            if vector is None:
                raise QueryError("no vector or modules provided for hybrid search")
            result_sets.append(
                vector_search(
                    collection,
                    shard,
                    vector_name,
                    vector,
                    accept,
                    sub_limit,
                    max_distance=max_distance,
                )
            )
            weights.append(alpha)
            names.append("vector")
    elif vector is not None:
        found = vector_search(
            collection, shard, vector_name, vector, accept, sub_limit, max_distance=max_distance
        )
        result_sets, weights, names = [found], [1.0], ["vector"]
    else:
        raise QueryError("no query, search vector, or sub-searches provided")
    if max_distance is not None and "keyword" in names and "vector" in names:
        # As in Weaviate: with a distance cutoff, keyword hits must also be vector hits.
        below = {f.uuid for f in result_sets[names.index("vector")]}
        result_sets[0] = [f for f in result_sets[0] if f.uuid in below]
    return fuse(result_sets, weights, names, ranked=ranked)


def fetch(
    request: search_get_pb2.SearchRequest,
    collection: Collection,
    shard: Shard,
    allowed: set[str] | None,
    limit: int,
) -> list[Found]:
    """A plain listing: filter, then sort (one property) or uuid order, with a cursor."""
    if request.after and (allowed is not None or request.sort_by):
        raise QueryError("cursor api: invalid 'after' parameter: where filter and sort not allowed")
    _check_sort(request, collection)
    ids = sorted(shard.objects if allowed is None else allowed)
    if request.after:
        ids = [u for u in ids if u > request.after]
    for sort in reversed(request.sort_by):
        prop = sort.path[0]
        present = [u for u in ids if shard.objects[u].properties.get(prop) is not None]
        missing = [u for u in ids if shard.objects[u].properties.get(prop) is None]
        present.sort(key=lambda u: shard.objects[u].properties[prop], reverse=not sort.ascending)
        ids = present + missing
    return [Found(u) for u in ids[:limit]]


INTERNAL_SORT_PROPERTIES = {"_id", "id", "_creationTimeUnix", "_lastUpdateTimeUnix"}


def _check_sort(request: search_get_pb2.SearchRequest, collection: Collection) -> None:
    """Refuse what Weaviate's sort validation refuses: a path that is not one existing
    property of the collection (internal properties aside)."""
    known = {p["name"] for p in collection.definition["properties"]}
    for position, sort in enumerate(request.sort_by):
        if len(sort.path) != 1:
            raise QueryError(
                f"sort parameter at position {position}: sorting by reference not supported, "
                "path must have exactly one argument"
            )
        prop = sort.path[0]
        if prop in INTERNAL_SORT_PROPERTIES:
            raise Unsupported(f"sorting by {prop} is not supported by this server")
        if prop not in known:
            raise QueryError(
                f"sort parameter at position {position}: no such prop with name '{prop}' found "
                f"in class '{collection.name}' in the schema. Check your schema files for which "
                "properties in this class are available"
            )
