"""The fake Weaviate itself, driven by the real client: it must behave as Weaviate documents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import weaviate
from weaviate.classes.config import Configure, DataType, Property, Tokenization
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter, HybridFusion, MetadataQuery, Sort
from weaviate.collections import Collection
from weaviate.exceptions import (
    UnexpectedStatusCodeError,
    WeaviateInsertManyAllFailedError,
    WeaviateQueryError,
)

from tests.fakes.weaviate_server import FakeWeaviateServer, fixtures

weaviate_server = fixtures.weaviate_server


@pytest.fixture
def client(weaviate_server: FakeWeaviateServer) -> Iterator[weaviate.WeaviateClient]:
    endpoint = weaviate_server.endpoint
    made = weaviate.connect_to_custom(
        http_host=endpoint.host,
        http_port=endpoint.http_port,
        http_secure=False,
        grpc_host=endpoint.host,
        grpc_port=endpoint.grpc_port,
        grpc_secure=False,
        skip_init_checks=True,
    )
    yield made
    made.close()


ROWS = [
    ("Parental leave is sixteen weeks at full pay", ["everyone"], 1, [1.0, 0.0, 0.0]),
    ("Sick leave needs a note after three days", ["everyone", "staff"], 2, [0.8, 0.6, 0.0]),
    ("Book flights through the travel desk", ["managers"], 3, [0.0, 0.0, 1.0]),
]


@pytest.fixture
def docs(client: weaviate.WeaviateClient) -> Collection:
    collection = client.collections.create(
        "Docs",
        properties=[
            Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
            Property(name="tags", data_type=DataType.TEXT_ARRAY, tokenization=Tokenization.FIELD),
            Property(name="rank", data_type=DataType.INT),
            Property(name="due", data_type=DataType.DATE),
        ],
        vector_config=Configure.Vectors.self_provided(),
    )
    result = collection.data.insert_many(
        [
            DataObject(
                properties={
                    "text": text,
                    "tags": tags,
                    "rank": rank,
                    "due": datetime(2027, 1, rank, tzinfo=UTC),
                },
                vector=vector,
            )
            for text, tags, rank, vector in ROWS
        ]
    )
    assert not result.has_errors
    return collection


def texts(objects: list) -> list[str]:
    return [o.properties["text"] for o in objects]


def test_schema_comes_back_with_server_defaults(
    client: weaviate.WeaviateClient, docs: Collection
) -> None:
    config = docs.config.get()
    assert config.inverted_index_config.bm25.k1 == pytest.approx(1.2)
    assert config.replication_config.factor == 1
    assert config.sharding_config is not None and config.sharding_config.desired_count == 1
    rank = next(p for p in config.properties if p.name == "rank")
    assert rank.index_filterable and not rank.index_searchable and rank.tokenization is None
    with pytest.raises(UnexpectedStatusCodeError) as duplicate:
        client.collections.create("Docs")
    assert duplicate.value.status_code == 422
    assert client.collections.exists("Docs") and not client.collections.exists("Nope")


def test_batch_refuses_bad_objects_one_by_one(docs: Collection) -> None:
    result = docs.data.insert_many(
        [
            DataObject(properties={"text": "ok"}, vector=[0.1, 0.2, 0.3]),
            DataObject(properties={"text": "short vector"}, vector=[0.1, 0.2]),
            DataObject(properties={"colour": "red"}, vector=[0.1, 0.2, 0.3]),
            DataObject(properties={"rank": "high"}, vector=[0.1, 0.2, 0.3]),
        ]
    )
    assert sorted(result.errors) == [1, 2, 3]
    assert "vector with length 2" in result.errors[1].message
    assert "no such prop with name 'colour'" in result.errors[2].message
    assert "invalid int property 'rank'" in result.errors[3].message
    assert len(docs.query.fetch_objects(limit=100).objects) == len(ROWS) + 1
    with pytest.raises(WeaviateInsertManyAllFailedError):
        docs.data.insert_many([DataObject(properties={"colour": "red"})])


def test_unknown_collection_is_a_query_error(client: weaviate.WeaviateClient) -> None:
    with pytest.raises(WeaviateQueryError, match="could not find class Missing"):
        client.collections.use("Missing").query.fetch_objects()


def test_filters(docs: Collection) -> None:
    def where(flt: Any) -> list[str]:
        return sorted(texts(docs.query.fetch_objects(filters=flt).objects))

    by = Filter.by_property
    assert where(by("tags").contains_any(["staff", "managers"])) == sorted(texts_for(2, 3))
    assert where(by("tags").contains_all(["everyone", "staff"])) == texts_for(2)
    assert where(by("rank").greater_than(1) & by("rank").less_than(3)) == texts_for(2)
    assert where(by("rank").equal(1) | by("tags").equal("managers")) == sorted(texts_for(1, 3))
    assert where(Filter.not_(by("rank").equal(1))) == sorted(texts_for(2, 3))
    assert where(by("text").equal("leave")) == sorted(texts_for(1, 2))  # word tokens
    assert where(by("text").like("fli*")) == texts_for(3)
    assert where(by("due").less_than(datetime(2027, 1, 2, 12, tzinfo=UTC))) == sorted(
        texts_for(1, 2)
    )
    with pytest.raises(WeaviateQueryError, match="no such prop with name 'colour'"):
        where(by("colour").equal("red"))


def test_listing_pages_sort_filter_and_refuse_what_weaviate_refuses(docs: Collection) -> None:
    by_rank = Sort.by_property("rank", ascending=False)
    page = docs.query.fetch_objects(filters=Filter.by_property("rank").less_than(3), sort=by_rank)
    assert texts(page.objects) == texts_for(2, 1)
    first = docs.query.fetch_objects(limit=1).objects[0]
    assert len(docs.query.fetch_objects(after=first.uuid).objects) == 2  # cursor without filter
    with pytest.raises(WeaviateQueryError, match="where filter and sort not allowed"):
        docs.query.fetch_objects(after=first.uuid, filters=Filter.by_property("rank").equal(2))
    with pytest.raises(WeaviateQueryError, match="query maximum results exceeded"):
        docs.query.fetch_objects(limit=10_001)
    with pytest.raises(WeaviateQueryError, match="query maximum results exceeded"):
        docs.query.fetch_objects(limit=9_000, offset=1_001)
    with pytest.raises(WeaviateQueryError, match="no such prop with name 'colour'"):
        docs.query.fetch_objects(sort=Sort.by_property("colour"))


def texts_for(*ranks: int) -> list[str]:
    return [ROWS[r - 1][0] for r in ranks]


def test_vector_bm25_and_hybrid_ranking(docs: Collection) -> None:
    near = docs.query.near_vector(
        [1.0, 0.0, 0.0], return_metadata=MetadataQuery(distance=True, certainty=True)
    )
    assert texts(near.objects)[0] == ROWS[0][0]
    assert near.objects[0].metadata.distance == pytest.approx(0.0, abs=1e-6)
    assert near.objects[1].metadata.distance == pytest.approx(0.2, abs=1e-6)
    assert near.objects[1].metadata.certainty == pytest.approx(0.9, abs=1e-6)

    keyword = docs.query.bm25("travel flights", return_metadata=MetadataQuery(score=True))
    assert texts(keyword.objects) == texts_for(3)
    assert (keyword.objects[0].metadata.score or 0.0) > 0

    def hybrid(alpha: float) -> list:
        return docs.query.hybrid(
            "travel flights",
            vector=[1.0, 0.0, 0.0],
            alpha=alpha,
            fusion_type=HybridFusion.RELATIVE_SCORE,
            return_metadata=MetadataQuery(score=True, explain_score=True),
        ).objects

    assert texts(hybrid(0.0))[0] == ROWS[2][0]
    assert texts(hybrid(1.0))[0] == ROWS[0][0]
    balanced = hybrid(0.5)
    assert all(0.0 <= o.metadata.score <= 1.0 for o in balanced)
    travel = next(o for o in balanced if o.properties["rank"] == 3)
    assert "(Result Set keyword)" in travel.metadata.explain_score
    assert "(Result Set vector)" in travel.metadata.explain_score
    assert "original score" in travel.metadata.explain_score


def test_delete_many_and_counts(docs: Collection) -> None:
    assert docs.aggregate.over_all(total_count=True).total_count == 3
    grouped = docs.aggregate.over_all(group_by="rank", total_count=True)
    assert sorted(int(g.grouped_by.value) for g in grouped.groups) == [1, 2, 3]  # type: ignore[arg-type]
    dry = docs.data.delete_many(where=Filter.by_property("rank").less_than(3), dry_run=True)
    assert (dry.matches, dry.successful) == (2, 0)
    done = docs.data.delete_many(where=Filter.by_property("rank").less_than(3), verbose=True)
    assert done.successful == 2 and done.objects is not None and len(done.objects) == 2
    assert docs.aggregate.over_all(total_count=True).total_count == 1


def test_aliases_route_object_operations(client: weaviate.WeaviateClient, docs: Collection) -> None:
    client.alias.create(alias_name="Live", target_collection="Docs")
    assert client.alias.get(alias_name="Live").collection == "Docs"  # type: ignore[union-attr]
    assert len(client.collections.use("Live").query.fetch_objects().objects) == 3
    with pytest.raises(UnexpectedStatusCodeError):
        client.alias.create(alias_name="Other", target_collection="Missing")
    with pytest.raises(UnexpectedStatusCodeError):
        client.alias.create(alias_name="Docs", target_collection="Docs")  # a class has that name
    client.collections.create("Empty")
    assert client.alias.update(alias_name="Live", new_target_collection="Empty")
    assert client.collections.use("Live").query.fetch_objects().objects == []
    assert client.alias.update(alias_name="Nope", new_target_collection="Empty") is False
    assert client.alias.delete(alias_name="Live") and client.alias.get(alias_name="Live") is None


def test_tenants(client: weaviate.WeaviateClient) -> None:
    shared = client.collections.create(
        "Shared",
        properties=[Property(name="text", data_type=DataType.TEXT)],
        multi_tenancy_config=Configure.multi_tenancy(enabled=True, auto_tenant_creation=True),
    )
    with pytest.raises(WeaviateInsertManyAllFailedError, match="without tenant"):
        shared.data.insert_many([{"text": "no tenant"}])
    shared.with_tenant("acme").data.insert_many([{"text": "for acme"}])
    assert shared.tenants.exists("acme") and not shared.tenants.exists("globex")
    with pytest.raises(WeaviateQueryError, match="tenant not found"):
        shared.with_tenant("globex").query.fetch_objects()
    assert texts(shared.with_tenant("acme").query.fetch_objects().objects) == ["for acme"]


def test_restart_keeps_data_and_unsupported_features_say_so(
    weaviate_server: FakeWeaviateServer, client: weaviate.WeaviateClient, docs: Collection
) -> None:
    weaviate_server.restart()
    assert docs.aggregate.over_all(total_count=True).total_count == 3
    with pytest.raises(WeaviateQueryError, match="not supported"):
        docs.query.near_text("leave")
