"""Weaviate under failure: down, dying mid-batch, slow, incompatible schema, alias swapped live."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
import weaviate
from weaviate.classes.config import Configure, DataType, Property, Tokenization

from knowledge.stores.base import (
    ChunkRecord,
    SchemaMismatchError,
    StoreUnavailableError,
    collection_name,
)
from knowledge.stores.weaviate_schema import collection_config
from knowledge.stores.weaviate_store import BATCH_SIZE, WeaviateStore
from tests.fakes.weaviate_server import FakeWeaviateServer, fixtures

weaviate_server = fixtures.weaviate_server  # the shared fixture: a fresh fake per test

T = TypeVar("T")
DIMENSION = 4
LIVE = collection_name("live")
TIMEOUT_S = 0.5


def vector(i: int) -> tuple[float, ...]:
    return (1.0, 0.1 * (i % 7), 0.0, 0.01 * i)


def chunks(document_id: str, count: int, *, text: str = "leave policy") -> list[ChunkRecord]:
    return [
        ChunkRecord(
            document_id=document_id,
            version=1,
            chunk_index=i,
            text=f"{text} part {i}",
            title=f"{document_id} title",
            heading_path=("Policies", document_id),
            source_uri=f"file:///{document_id}.md",
            vector=vector(i),
        )
        for i in range(count)
    ]


def elapsed(action: Callable[[], object]) -> tuple[float, BaseException | None]:
    start = time.perf_counter()
    try:
        action()
    except BaseException as exc:
        return time.perf_counter() - start, exc
    return time.perf_counter() - start, None


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
            "timeout_s": TIMEOUT_S,
        }
        options.update(overrides)
        store = WeaviateStore(endpoint.url, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def stored_ids(server: FakeWeaviateServer) -> set[str]:
    with server.db.lock:
        return {
            uuid
            for collection in server.db.collections.values()
            for shard in collection.shards.values()
            for uuid in shard.objects
        }


def eventually(action: Callable[[], T], within_s: float = 3.0) -> T:
    """The result of `action` once the store is back (a restarted server is reconnected to
    within the gRPC reconnect backoff, at most about a second)."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            return action()
        except StoreUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- down at start-up ----------------------------------------------------------------------
def test_server_down_at_startup_fails_fast_with_a_plain_error() -> None:
    store = WeaviateStore(
        f"http://127.0.0.1:{free_port()}",
        grpc_port=free_port(),
        api_key=None,
        dimension=DIMENSION,
        default_collection=LIVE,
        timeout_s=5.0,
    )
    took, error = elapsed(store.ensure_schema)
    assert isinstance(error, StoreUnavailableError)
    assert took < 2.0, "connection refused must not wait for the timeout"
    assert "unreachable" in str(error) and "127.0.0.1" in str(error)
    # One plain line for the caller: no chained gRPC / httpx internals.
    assert error.__cause__ is None and error.__suppress_context__
    store.close()


def test_nothing_connects_before_first_use(weaviate_server: FakeWeaviateServer) -> None:
    endpoint = weaviate_server.endpoint
    store = WeaviateStore(
        endpoint.url,
        grpc_port=endpoint.grpc_port,
        api_key=None,
        dimension=DIMENSION,
        default_collection=LIVE,
    )
    assert sum(weaviate_server.faults.calls.values()) == 0
    store.ensure_schema()
    assert weaviate_server.faults.calls["GET /v1/meta"] == 1
    store.close()


# --- dying mid-batch -----------------------------------------------------------------------
def test_server_dying_mid_batch_reports_nothing_that_was_not_stored(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
) -> None:
    store = make_store()
    store.ensure_schema()
    batch = chunks("handbook", BATCH_SIZE * 2 + 50)
    weaviate_server.faults.crash_after_objects(BATCH_SIZE + 30)  # dies inside the 2nd request

    took, error = elapsed(lambda: store.upsert(batch))

    assert isinstance(error, StoreUnavailableError)
    assert f"{BATCH_SIZE} of {len(batch)} chunks were written" in str(error)
    assert took < 5.0
    assert not weaviate_server.running
    on_disk = stored_ids(weaviate_server)
    assert {c.id for c in batch[:BATCH_SIZE]} <= on_disk, "what was reported written is stored"

    weaviate_server.start()
    result = eventually(lambda: store.upsert(batch))  # the retry the message recommends
    assert result.ok and len(result.written) == len(batch)
    assert store.count() == len(batch)


def test_server_dying_in_the_first_request_reports_zero_written(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
) -> None:
    store = make_store()
    store.ensure_schema()
    weaviate_server.faults.crash_after_objects(10)
    with pytest.raises(StoreUnavailableError, match="0 of 40 chunks were written"):
        store.upsert(chunks("handbook", 40))
    assert len(stored_ids(weaviate_server)) == 10


# --- slow and down mid-life ----------------------------------------------------------------
def test_slow_responses_past_the_timeout_fail_in_bounded_time(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
) -> None:
    store = make_store()
    store.ensure_schema()
    store.upsert(chunks("handbook", 5))
    weaviate_server.faults.latency_s = 5.0

    took, error = elapsed(lambda: store.search("leave", vector(1), k=3))
    assert isinstance(error, StoreUnavailableError)
    assert "did not answer within 0.5 s" in str(error)
    assert took < TIMEOUT_S + 1.0

    took, error = elapsed(store.count)  # while failing: a readiness probe answers quickly
    assert isinstance(error, StoreUnavailableError)
    assert took < 1.5

    weaviate_server.faults.latency_s = 0.0
    assert len(store.search("leave", vector(1), k=3)) == 3


def test_server_down_mid_life_fails_fast_then_recovers_on_restart(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
) -> None:
    store = make_store()
    store.ensure_schema()
    store.upsert(chunks("handbook", 5))
    weaviate_server.stop()

    took, error = elapsed(lambda: store.search("leave", vector(1), k=3))
    assert isinstance(error, StoreUnavailableError)
    assert took < TIMEOUT_S + 1.0, "bounded by the timeout, never the client's 30 s of retries"
    took, error = elapsed(lambda: store.search("leave", vector(1), k=3))
    assert isinstance(error, StoreUnavailableError) and "not ready" in str(error)
    assert took < 0.5, "once known down, calls fail at once"

    weaviate_server.start()
    assert len(eventually(lambda: store.search("leave", vector(1), k=3))) == 3
    assert store.count() == 5


def test_transient_errors_are_retried_with_backoff(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
) -> None:
    store = make_store()
    store.ensure_schema()
    store.upsert(chunks("handbook", 3))
    weaviate_server.faults.reset_stats()

    weaviate_server.faults.fail_next(2)  # two 503s, then an answer
    assert store.active_collection() == LIVE
    assert weaviate_server.faults.calls["GET /v1/aliases/HelpbotChunks"] == 3

    weaviate_server.faults.fail_next(
        1
    )  # gRPC UNAVAILABLE on a delete (the client does not retry it)
    assert store.delete("handbook") == 3

    weaviate_server.faults.fail_next(3)  # more than the retry budget
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        store.active_collection()


# --- schema mismatch -----------------------------------------------------------------------
def _raw_client(server: FakeWeaviateServer) -> weaviate.WeaviateClient:
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


def _ours_but(
    *, drop: str | None = None, replace: Property | None = None, **config: object
) -> dict:
    """Our collection config with one property dropped or replaced, or settings overridden."""
    made = collection_config(LIVE, multi_tenant=False)
    props = [p for p in made["properties"] if p.name not in (drop, getattr(replace, "name", None))]
    made["properties"] = props + ([replace] if replace else [])
    made.update(config)
    return made


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (_ours_but(drop="audiences"), r"lacks property 'audiences'"),
        (
            _ours_but(replace=Property(name="version", data_type=DataType.TEXT)),
            r"property 'version' is text, expected int",
        ),
        (
            _ours_but(
                replace=Property(
                    name="document_id", data_type=DataType.TEXT, tokenization=Tokenization.WORD
                )
            ),
            r"property 'document_id' has tokenization word, expected field",
        ),
        (
            _ours_but(vector_config=Configure.Vectors.text2vec_transformers(name="default")),
            r"vectorizer text2vec-transformers configured",
        ),
        (
            _ours_but(vector_config=Configure.Vectors.self_provided(name="embedding")),
            r"no named vector 'default'",
        ),
        (
            _ours_but(multi_tenancy_config=Configure.multi_tenancy(enabled=True)),
            r"multi-tenancy must be disabled",
        ),
    ],
    ids=[
        "missing-property",
        "wrong-type",
        "wrong-tokenization",
        "vectorizer",
        "vector-name",
        "tenancy",
    ],
)
def test_incompatible_live_schema_raises_schema_mismatch(
    weaviate_server: FakeWeaviateServer,
    make_store: Callable[..., WeaviateStore],
    config: dict,
    expected: str,
) -> None:
    client = _raw_client(weaviate_server)
    try:
        client.collections.create(**config)
    finally:
        client.close()
    with pytest.raises(SchemaMismatchError, match=expected):
        make_store().ensure_schema()


def test_vectors_of_another_dimension_raise_schema_mismatch(
    make_store: Callable[..., WeaviateStore],
) -> None:
    old_model = make_store(dimension=3)
    old_model.ensure_schema()
    assert old_model.upsert(
        [ChunkRecord("d", 1, 0, "text", "t", (), "u", vector=(1.0, 0.0, 0.0))]
    ).ok
    with pytest.raises(SchemaMismatchError, match="3-dimensional vectors, this helpbot embeds 4"):
        make_store().ensure_schema()


# --- alias swap while answering ------------------------------------------------------------
def test_alias_swap_while_searching_serves_exactly_one_collection_per_query(
    make_store: Callable[..., WeaviateStore],
) -> None:
    admin = make_store(timeout_s=5.0)
    admin.ensure_schema()
    blue, green = collection_name("blue"), collection_name("green")
    for name, colour in ((blue, "blue"), (green, "green")):
        admin.create_collection(name)
        result = admin.upsert(chunks(colour, 12, text=f"leave policy {colour}"), collection=name)
        assert result.ok
    admin.activate(blue)

    readers = [make_store(timeout_s=5.0) for _ in range(3)]
    stop = threading.Event()
    seen: list[set[str]] = []
    problems: list[BaseException] = []

    def read(store: WeaviateStore) -> None:
        while not stop.is_set():
            try:
                hits = store.search("leave policy", vector(2), k=8)
                seen.append({hit.chunk.document_id for hit in hits})
            except BaseException as exc:  # reported below, not lost in a thread
                problems.append(exc)
                return

    threads = [threading.Thread(target=read, args=(r,)) for r in readers]
    for thread in threads:
        thread.start()
    for swap in range(40):
        admin.activate(green if swap % 2 == 0 else blue)
        time.sleep(0.005)
    stop.set()
    for thread in threads:
        thread.join(10)

    assert not problems, problems[0]
    assert len(seen) > 40
    assert all(colours in ({"blue"}, {"green"}) for colours in seen), "a query mixed collections"
    assert {"blue"} in seen and {"green"} in seen
