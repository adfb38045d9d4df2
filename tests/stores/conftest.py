"""Backends for the shared vector-store contract: every test in test_contract*.py runs on each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from knowledge.services import Services
from knowledge.stores.base import VectorStore, collection_name
from knowledge.stores.lancedb_store import LanceDBStore
from tests.conftest import TEST_DATABASE
from tests.stores.corpus import CORPUS, DIMENSION
from tests.stores.hash_embedder import HashEmbedder

StoreFactory = Callable[[str], VectorStore]


def _lancedb(tmp_path: Path) -> Iterator[StoreFactory]:
    def make(default_collection: str) -> VectorStore:
        return LanceDBStore(
            tmp_path / "lancedb", dimension=DIMENSION, default_collection=default_collection
        )

    yield make


# weaviate backend: the real weaviate-client against the in-process fake Weaviate server.
def _weaviate(tmp_path: Path) -> Iterator[StoreFactory]:
    from knowledge.stores.weaviate_store import WeaviateStore
    from tests.fakes.weaviate_server import FakeWeaviateServer

    server = FakeWeaviateServer()
    endpoint = server.start()
    made: list[WeaviateStore] = []

    def make(default_collection: str) -> VectorStore:
        store = WeaviateStore(
            endpoint.url,
            grpc_port=endpoint.grpc_port,
            api_key=None,
            dimension=DIMENSION,
            default_collection=default_collection,
            timeout_s=5.0,
        )
        made.append(store)
        return store

    try:
        yield make
    finally:
        for store in made:
            store.close()
        server.stop()


BACKENDS: dict[str, Callable[..., Iterator[StoreFactory]]] = {
    "lancedb": _lancedb,
    "weaviate": _weaviate,
}


@pytest.fixture(params=sorted(BACKENDS))
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes stores of one backend; stores made by one factory share the same data."""
    yield from BACKENDS[request.param](tmp_path)


@pytest.fixture
def store(store_factory: StoreFactory) -> Iterator[VectorStore]:
    """A fresh store of one backend with its schema in place."""
    made = store_factory(collection_name("contract"))
    made.ensure_schema()
    yield made
    made.close()


@pytest.fixture
def filled(store: VectorStore) -> VectorStore:
    result = store.upsert(CORPUS)
    assert result.ok and len(result.written) == len(CORPUS)
    return store


@pytest.fixture(params=["lancedb", "weaviate"])
def backend_environment(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """For tests on Services (rebuild, retrieval): the tier's database, and each store in turn,
    so they run on both stores in every tier."""
    env: dict[str, str] = {}
    if TEST_DATABASE == "postgresql":
        env["HELPBOT_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    if request.param == "lancedb":
        yield env
        return
    from tests.fakes.weaviate_server import FakeWeaviateServer

    server = FakeWeaviateServer()
    endpoint = server.start()
    try:
        yield env | {
            "HELPBOT_WEAVIATE_URL": endpoint.url,
            "HELPBOT_WEAVIATE_GRPC_PORT": str(endpoint.grpc_port),
        }
    finally:
        server.stop()


@pytest.fixture
def hashed(services: Services, embedder: Any) -> Services:
    """Services whose store and ingestion use the fast embedder."""
    services.__dict__["embedder"] = HashEmbedder(embedder.tokenizer, "test/hash-words")
    return services
