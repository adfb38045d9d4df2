"""Pytest fixtures for the fake Weaviate; a conftest imports the ones it needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.weaviate_server.server import FakeWeaviateServer


@pytest.fixture
def weaviate_server() -> Iterator[FakeWeaviateServer]:
    """A started fake Weaviate (empty, no faults); `.endpoint` has host and both ports."""
    server = FakeWeaviateServer()
    server.start()
    try:
        yield server
    finally:
        server.faults.reset()
        server.stop()
