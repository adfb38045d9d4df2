"""The lease row that elects the scheduler leader and serialises re-index runs (SQLite here;
test_postgres.py runs the same race on PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from knowledge.db import leases
from knowledge.db.connection import Database
from tests.pipelines.fakes import START

TTL = timedelta(seconds=60)


def test_processes_racing_for_the_lease_exactly_one_wins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'helpbot.db'}"
    Database(url).upgrade()
    processes = [Database(url) for _ in range(6)]  # one engine each, as separate processes
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
    ), "the holder renews"
    assert not leases.acquire_lease(
        processes[loser], "scheduler", f"p{loser}", now=START + TTL, ttl=TTL
    ), "a renewed lease is still held"
    leases.release_lease(processes[winner], "scheduler", f"p{winner}", now=START + TTL)
    assert leases.acquire_lease(
        processes[loser], "scheduler", f"p{loser}", now=START + TTL, ttl=TTL
    ), "a released lease is free at once"
    with processes[0].session() as session:
        lease = leases.current_lease(session, "scheduler", now=START + TTL)
        assert lease is not None and lease.holder == f"p{loser}"
    for db in processes:
        db.dispose()
