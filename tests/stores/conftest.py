"""Backends for the shared vector-store contract: every test in test_contract.py runs on each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from knowledge.stores.base import VectorStore, collection_name
from knowledge.stores.lancedb_store import LanceDBStore

DIMENSION = 8

StoreFactory = Callable[[str], VectorStore]


def _lancedb(tmp_path: Path) -> Iterator[StoreFactory]:
    def make(default_collection: str) -> VectorStore:
        return LanceDBStore(
            tmp_path / "lancedb", dimension=DIMENSION, default_collection=default_collection
        )

    yield make


# weaviate backend: added with the Weaviate adapter.
BACKENDS: dict[str, Callable[..., Iterator[StoreFactory]]] = {"lancedb": _lancedb}


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
