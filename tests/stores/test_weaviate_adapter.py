"""WeaviateStore beyond the shared contract: schema, tenants, API keys, batching, explain scores."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date

import pytest
import weaviate
from weaviate.classes.config import DataType, Property, Tokenization, VectorDistances

from knowledge.stores.base import (
    ChunkRecord,
    SchemaMismatchError,
    SearchFilter,
    StoreUnavailableError,
    collection_name,
)
from knowledge.stores.weaviate_schema import PROPERTIES, collection_config, component_scores
from knowledge.stores.weaviate_store import BATCH_SIZE, WeaviateStore
from tests.fakes.weaviate_server import FakeWeaviateServer, fixtures
from tests.fakes.weaviate_server import grpc_service as fake_grpc

weaviate_server = fixtures.weaviate_server

DIMENSION = 3
LIVE = collection_name("adapter")


def chunk(document_id: str, index: int, *, version: int = 1, text: str = "leave") -> ChunkRecord:
    return ChunkRecord(
        document_id=document_id,
        version=version,
        chunk_index=index,
        text=f"{text} {index}",
        title="Handbook",
        heading_path=(),
        source_uri="",
        audiences=(),
        vector=(1.0, float(index % 5), 0.5),
    )


@pytest.fixture
def make_store(weaviate_server: FakeWeaviateServer) -> Iterator[Callable[..., WeaviateStore]]:
    made: list[WeaviateStore] = []

    def make(**overrides: object) -> WeaviateStore:
        endpoint = weaviate_server.endpoint
        options: dict = {
            "grpc_port": endpoint.grpc_port,
            "api_key": None,
            "dimension": DIMENSION,
            "default_collection": LIVE,
            "timeout_s": 2.0,
        }
        options.update(overrides)
        store = WeaviateStore(str(options.pop("url", endpoint.url)), **options)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def raw_client(server: FakeWeaviateServer) -> weaviate.WeaviateClient:
    endpoint = server.endpoint
    return weaviate.connect_to_custom(
        http_host=endpoint.host,
        http_port=endpoint.http_port,
        http_secure=False,
        grpc_host=endpoint.host,
        grpc_port=endpoint.grpc_port,
        grpc_secure=False,
        skip_init_checks=True,
    )


def test_schema_declares_every_property_and_brings_its_own_vectors(
    weaviate_server: FakeWeaviateServer, make_store: Callable[..., WeaviateStore]
) -> None:
    make_store().ensure_schema()
    client = raw_client(weaviate_server)
    try:
        config = client.collections.use(LIVE).config.get()
    finally:
        client.close()
    live = {p.name: p for p in config.properties}
    assert set(live) == {spec.name for spec in PROPERTIES}
    assert live["text"].tokenization == Tokenization.WORD and live["text"].index_searchable
    assert live["document_id"].tokenization == Tokenization.FIELD
    assert live["audiences"].data_type == DataType.TEXT_ARRAY and live["audiences"].index_filterable
    assert live["version"].data_type == DataType.INT
    assert live["review_by"].data_type == DataType.DATE
    assert config.vector_config is not None
    vector = config.vector_config["default"]
    assert str(vector.vectorizer.vectorizer) in ("none", "Vectorizers.NONE")
    assert vector.vector_index_config.distance_metric == VectorDistances.COSINE


def test_round_trip_of_empty_fields(make_store: Callable[..., WeaviateStore]) -> None:
    store = make_store()
    store.ensure_schema()
    assert store.upsert([chunk("bare", 0)]).ok
    hit = store.search("leave", (1.0, 0.0, 0.5), k=1)[0]
    assert hit.chunk.heading_path == () and hit.chunk.audiences == ()
    assert hit.chunk.review_by is None and hit.chunk.source_uri == ""


def test_large_upserts_go_in_batches(
    weaviate_server: FakeWeaviateServer, make_store: Callable[..., WeaviateStore]
) -> None:
    store = make_store()
    store.ensure_schema()
    weaviate_server.faults.reset_stats()
    result = store.upsert([chunk("big", i) for i in range(BATCH_SIZE * 2 + 1)])
    assert result.ok and len(result.written) == BATCH_SIZE * 2 + 1
    assert weaviate_server.faults.calls["BatchObjects"] == 3


def test_upsert_into_a_missing_collection_reports_every_object(
    make_store: Callable[..., WeaviateStore],
) -> None:
    store = make_store()
    store.ensure_schema()
    result = store.upsert([chunk("d", 0), chunk("d", 1)], collection=collection_name("absent"))
    assert result.written == ()
    assert [cid for cid, _ in result.errors] == [chunk("d", 0).id, chunk("d", 1).id]
    assert all("HelpbotChunks_absent" in message for _, message in result.errors)


def test_refused_objects_are_reported_without_their_text_reaching_the_logs(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A collection that declares review_by as an int: the server refuses a chunk with a
    # review date (a property type mismatch) and takes the one without, so the client's
    # partial-failure log fires.
    legacy = collection_name("legacy")
    config = collection_config(legacy, multi_tenant=False)
    config["properties"] = [p for p in config["properties"] if p.name != "review_by"] + [
        Property(name="review_by", data_type=DataType.INT)
    ]
    client = raw_client(weaviate_server)
    try:
        client.collections.create(**config)
    finally:
        client.close()
    secret = "confidential severance terms for the Q3 layoffs"
    refused = replace(chunk("d", 0, text=secret), review_by=date(2030, 1, 1))
    kept = chunk("d", 1, text=secret)
    store = make_store()
    with caplog.at_level(logging.DEBUG):
        result = store.upsert([refused, kept], collection=legacy)
    assert result.written == (kept.id,)
    assert [cid for cid, _ in result.errors] == [refused.id]
    assert "review_by" in result.errors[0][1]
    assert secret not in caplog.text
    assert all(secret not in repr(r.msg) and secret not in repr(r.args) for r in caplog.records)
    # The client's own ERROR record is kept, only its object properties are gone.
    client_errors = [r for r in caplog.records if r.name == "weaviate-client"]
    assert [r.levelno for r in client_errors] == [logging.ERROR]
    assert "Failed to send 1 objects in a batch of 2" in client_errors[0].getMessage()
    assert refused.id in client_errors[0].getMessage()


def test_delete_repeats_until_the_server_cap_is_cleared(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fake_grpc, "MAXIMUM_RESULTS", 10)  # QUERY_MAXIMUM_RESULTS=10
    store = make_store()
    store.ensure_schema()
    store.upsert([chunk("long", i) for i in range(25)] + [chunk("other", 0)])
    assert store.delete("long") == 25
    assert store.document_versions("long") == set()
    assert store.count() == 1


def test_document_versions_and_filtered_counts(make_store: Callable[..., WeaviateStore]) -> None:
    store = make_store()
    store.ensure_schema()
    store.upsert([chunk("d", 0, version=1), chunk("d", 0, version=3), chunk("e", 0, version=2)])
    assert store.document_versions("d") == {1, 3}
    assert store.count(SearchFilter(document_ids=["d", "e"], statuses=None)) == 3
    assert store.count(SearchFilter(document_ids=[])) == 0
    assert store.search("leave", (1.0, 0.0, 0.5), filters=SearchFilter(audiences=[])) == []


def test_activate_and_drop_refuse_what_would_break_answers(
    make_store: Callable[..., WeaviateStore],
) -> None:
    store = make_store()
    store.ensure_schema()
    with pytest.raises(ValueError, match="no such collection"):
        store.activate(collection_name("missing"))
    with pytest.raises(ValueError, match="active collection"):
        store.drop_collection(LIVE)
    assert store.active_collection() == LIVE


def test_ensure_schema_recreates_a_collection_lost_under_the_alias(
    weaviate_server: FakeWeaviateServer, make_store: Callable[..., WeaviateStore]
) -> None:
    store = make_store()
    store.ensure_schema()
    store.create_collection(collection_name("next"))
    store.activate(collection_name("next"))
    with weaviate_server.db.lock:  # someone deletes it behind our back, keeping the alias
        del weaviate_server.db.collections[collection_name("next")]
    store.ensure_schema()
    assert collection_name("next") in store.list_collections()
    assert store.active_collection() == collection_name("next")


def test_tenants_keep_workspaces_apart(make_store: Callable[..., WeaviateStore]) -> None:
    acme = make_store(tenant="acme")
    globex = make_store(tenant="globex")
    acme.ensure_schema()
    globex.ensure_schema()
    acme.upsert([chunk("a", i) for i in range(3)])
    globex.upsert([chunk("g", 0)])
    assert (acme.count(), globex.count()) == (3, 1)
    assert {h.chunk.document_id for h in globex.search("leave", (1.0, 0.0, 0.5))} == {"g"}
    with pytest.raises(SchemaMismatchError, match="multi-tenancy must be disabled"):
        make_store().ensure_schema()


@pytest.mark.parametrize("indices", [[0, 1, 2, 3], [0, 1, 2, 3, 4], [0, 2, 3, 7, 8, 9, 11]])
def test_listing_pages_by_chunk_index_whatever_the_page_boundaries(
    make_store: Callable[..., WeaviateStore], indices: list[int]
) -> None:
    store = make_store(tenant="acme", list_page_size=2)
    store.ensure_schema()
    store.upsert([chunk("manual", i) for i in reversed(indices)] + [chunk("other", 0)])
    assert [c.chunk_index for c in store.list_chunks("manual", 1)] == indices
    other_workspace = make_store(tenant="globex")
    other_workspace.ensure_schema()
    assert other_workspace.list_chunks("manual", 1) == []


def test_api_key_is_sent_and_a_wrong_one_is_reported(
    make_store: Callable[..., WeaviateStore],
) -> None:
    with FakeWeaviateServer(api_key="s3cret") as secured:
        endpoint = secured.endpoint
        good = make_store(url=endpoint.url, grpc_port=endpoint.grpc_port, api_key="s3cret")
        good.ensure_schema()
        good.upsert([chunk("d", 0)])
        assert good.count() == 1
        bad = make_store(url=endpoint.url, grpc_port=endpoint.grpc_port, api_key="wrong")
        with pytest.raises(StoreUnavailableError, match="failed while counting") as refused:
            bad.count()
        assert "wrong" not in str(refused.value), "secrets never appear in messages"


def test_a_closed_store_refuses_calls(make_store: Callable[..., WeaviateStore]) -> None:
    store = make_store()
    store.ensure_schema()
    store.close()
    store.close()  # twice is harmless
    with pytest.raises(StoreUnavailableError, match="closed"):
        store.count()


@pytest.mark.parametrize(
    ("explain", "expected"),
    [
        # Weaviate 1.2x-1.3x relativeScoreFusion, found by both methods (vector set last).
        (
            "\nHybrid (Result Set vector) Document 6f0e...-1: original score 0.8660254, "
            "normalized score: 0.5 - , BM25F_leave_frequency:1, BM25F_leave_propLength:5\n"
            "Hybrid (Result Set keyword) Document 6f0e...-1: original score 1.2345, "
            "normalized score: 0.25",
            (1.2345, 0.8660254),
        ),
        (
            "\nHybrid (Result Set keyword) Document 1a2b: original score 3.5e-05, "
            "normalized score: 0",
            (3.5e-05, None),
        ),
        (
            "(Result Set 'vector,nearVector') Document 1a2b: original score 0.5, "
            "normalized score: 0.5",
            (None, 0.5),
        ),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_component_scores_parse_weaviates_explain_strings(
    explain: str | None, expected: tuple[float | None, float | None]
) -> None:
    assert component_scores(explain) == pytest.approx(expected)
