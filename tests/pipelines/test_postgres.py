"""The scheduler on PostgreSQL: migration, racing for the lease, two schedulers, one run each.

Needs HELPBOT_TEST_POSTGRES_URL naming a server, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres (`make test` starts one); each test gets
a throw-away database (the `postgres_url` fixture of tests/conftest.py).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from knowledge.db import leases
from knowledge.db.connection import Database
from knowledge.db.document_models import Base
from knowledge.embeddings import Embedder
from knowledge.services import Services
from knowledge.settings import Settings
from tests.pipelines.fakes import START, FakeClock
from tests.pipelines.test_migration import SCHEDULER_TABLES, _table_of
from tests.pipelines.test_scheduler import make_scheduler, run_due, runs

TTL = timedelta(seconds=60)


def test_the_migration_matches_the_models_on_postgres(postgres_url: str) -> None:
    db = Database(postgres_url)
    db.upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if _table_of(d) in SCHEDULER_TABLES] == []
    db.dispose()


def test_processes_racing_for_the_lease_exactly_one_wins(postgres_url: str) -> None:
    Database(postgres_url).upgrade()
    processes = [Database(postgres_url) for _ in range(6)]
    start = threading.Barrier(len(processes))

    def contend(index: int) -> bool:
        start.wait()
        return leases.acquire_lease(processes[index], "scheduler", f"p{index}", now=START, ttl=TTL)

    with ThreadPoolExecutor(len(processes)) as pool:
        won = list(pool.map(contend, range(len(processes))))
    assert sum(won) == 1
    winner, loser = won.index(True), won.index(False)
    assert leases.acquire_lease(
        processes[winner], "scheduler", f"p{winner}", now=START + TTL / 2, ttl=TTL
    ), "renewal"
    assert not leases.acquire_lease(
        processes[loser], "scheduler", f"p{loser}", now=START + TTL, ttl=TTL
    )
    assert leases.acquire_lease(
        processes[loser], "scheduler", f"p{loser}", now=START + TTL * 2, ttl=TTL
    ), "an expired lease is taken over"
    for db in processes:
        db.dispose()


def test_two_schedulers_on_postgres_run_each_job_once(
    postgres_url: str, settings: Settings, embedder: Embedder, clock: FakeClock
) -> None:
    on_postgres = settings.model_copy(update={"database_url": postgres_url})
    made: list[Services] = []

    def process() -> Services:
        services = Services.from_settings(on_postgres)
        services.__dict__["embedder"] = embedder
        made.append(services)
        return services

    a, b = (make_scheduler(process(), clock, name) for name in ("a", "b"))
    assert (a.tick(), b.tick()) == (True, False)
    clock.advance(minutes=15)
    assert (a.tick(), b.tick()) == (True, False)
    run_due(a, b)
    clock.advance(minutes=2)  # "a" is gone; "b" takes over and runs the next one
    assert b.tick()
    clock.advance(minutes=13)
    b.tick()
    run_due(a, b)
    assert runs(made[0], "reindex") == [("a", "ok"), ("b", "ok")]
    b.stop()
    for services in made:
        services.close()
