"""Fixtures of the freshness tests: a fake clock, more processes' services, a policy server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from knowledge.services import Services
from knowledge.settings import Settings
from tests.pipelines.fakes import START, FakeClock, PolicyServer, serve


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(START)
    fake.install(monkeypatch)
    return fake


@pytest.fixture
def policy_server() -> Iterator[PolicyServer]:
    yield from serve()


@pytest.fixture
def another_process(settings: Settings, embedder: object) -> Iterator[Callable[[], Services]]:
    """Services of another process on the same database and store (own connections)."""
    made: list[Services] = []

    def make() -> Services:
        services = Services.from_settings(settings)
        services.__dict__["embedder"] = embedder  # share the loaded model, not the handles
        made.append(services)
        return services

    yield make
    for services in made:
        services.close()
