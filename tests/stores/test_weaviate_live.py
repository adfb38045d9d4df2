"""The shared store contract against a real Weaviate named by HELPBOT_WEAVIATE_URL (else skipped).

    docker compose up -d weaviate
    HELPBOT_WEAVIATE_URL=http://localhost:8080 .venv/bin/python -m pytest -m weaviate_live

Uses the alias `HelpbotContractTest` and the collections the contract names
(`HelpbotChunks_contract`, `_rebuilt`, `_next`, `_beside`): it drops those, and any chunk
collection a test created, around each test. Other collections are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import weaviate
from weaviate.classes.init import Auth

from knowledge.stores.base import VectorStore, collection_name
from knowledge.stores.weaviate_store import COLLECTION_PREFIX, WeaviateStore
from tests.stores.conftest import StoreFactory
from tests.stores.corpus import DIMENSION
from tests.stores.test_contract import *  # noqa: F403  (every contract test, collected again here)
from tests.stores.test_contract_reads import *  # noqa: F403  (and the reads: listing, keywords)

URL = os.environ.get("HELPBOT_WEAVIATE_URL", "")
GRPC_PORT = int(os.environ.get("HELPBOT_WEAVIATE_GRPC_PORT", "50051"))
API_KEY = os.environ.get("HELPBOT_WEAVIATE_API_KEY") or None
ALIAS = "HelpbotContractTest"

pytestmark = [
    pytest.mark.weaviate_live,
    pytest.mark.skipif(not URL, reason="HELPBOT_WEAVIATE_URL is not set: no live Weaviate"),
]


CONTRACT_COLLECTIONS = {collection_name(n) for n in ("contract", "rebuilt", "next", "beside")}


def _admin() -> weaviate.WeaviateClient:
    parts = urlsplit(URL)
    secure = parts.scheme == "https"
    return weaviate.connect_to_custom(
        http_host=parts.hostname or "localhost",
        http_port=parts.port or (443 if secure else 80),
        http_secure=secure,
        grpc_host=parts.hostname or "localhost",
        grpc_port=GRPC_PORT,
        grpc_secure=secure,
        auth_credentials=Auth.api_key(API_KEY) if API_KEY else None,
        skip_init_checks=True,
    )


def _chunk_collections(client: weaviate.WeaviateClient) -> set[str]:
    return {n for n in client.collections.list_all(simple=True) if n.startswith(COLLECTION_PREFIX)}


def _drop_test_objects(keep: set[str]) -> None:
    """Drop the test alias and every chunk collection except those in `keep`."""
    client = _admin()
    try:
        client.alias.delete(alias_name=ALIAS)
        for name in _chunk_collections(client) - keep:
            client.collections.delete(name)
    finally:
        client.close()


@pytest.fixture
def store_factory() -> Iterator[StoreFactory]:
    """Overrides the conftest's backends: stores on the live server, cleaned around each test."""
    client = _admin()
    try:
        keep = _chunk_collections(client) - CONTRACT_COLLECTIONS
    finally:
        client.close()
    _drop_test_objects(keep)
    made: list[WeaviateStore] = []

    def make(default_collection: str) -> VectorStore:
        store = WeaviateStore(
            URL,
            grpc_port=GRPC_PORT,
            api_key=API_KEY,
            dimension=DIMENSION,
            default_collection=default_collection,
            alias=ALIAS,
            timeout_s=10.0,
        )
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
    _drop_test_objects(keep)
