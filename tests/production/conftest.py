"""Fixtures of the production tests: services on the Weaviate fake whatever the tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.weaviate_server import FakeWeaviateServer


@pytest.fixture
def weaviate_server() -> Iterator[FakeWeaviateServer]:
    server = FakeWeaviateServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def weaviate_environment(
    backend_environment: dict[str, str], weaviate_server: FakeWeaviateServer
) -> dict[str, str]:
    """The tier's database with the Weaviate fake as the store: a module overrides
    `backend_environment` with this to run on Weaviate in every tier."""
    endpoint = weaviate_server.endpoint
    return backend_environment | {
        "HELPBOT_WEAVIATE_URL": endpoint.url,
        "HELPBOT_WEAVIATE_GRPC_PORT": str(endpoint.grpc_port),
    }
