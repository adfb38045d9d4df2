"""Job queue claim latency: one worker process (the baseline) against two racing for one queue.

Each run enqueues --jobs jobs, then 1 or 2 worker processes (spawned, each with its own
connection pool) start together and claim and finish jobs until the queue is empty, timing
every `jobs.claim` call. Reported per run: claim latency p50/p95, the empty-queue poll, jobs
per second, and whether every job was claimed exactly once. SQLite by default; pass
--database-url postgresql+psycopg://... to measure PostgreSQL (a fresh database per run).

    .venv/bin/python -m benchmarks.bench_worker
    .venv/bin/python -m benchmarks.bench_worker --jobs 1000 --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import emit, latency_summary  # noqa: E402
from knowledge.db import jobs  # noqa: E402
from knowledge.db.connection import Database  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")
KINDS = ["train"]


def claimer(url: str, worker_id: str, go: Any, out: Any) -> None:
    """Claim and finish until the queue is empty; send back the ids and each claim's seconds."""
    db = Database(url)
    jobs.register_worker(db, worker_id, host="bench", pid=None, kinds=KINDS)
    jobs.claim(db, worker_id, ["evaluate"])  # warm the connection and the statement cache
    go.wait()
    ids: list[int] = []
    timings: list[float] = []
    empty: list[float] = []
    started = time.perf_counter()
    while True:
        tick = time.perf_counter()
        job = jobs.claim(db, worker_id, KINDS)
        elapsed = time.perf_counter() - tick
        if job is None:
            empty.append(elapsed)
            break
        timings.append(elapsed)
        ids.append(job.id)
        jobs.finish(db, job.id, worker_id, {"ok": True})
    for _ in range(20):  # the idle poll an empty queue costs
        tick = time.perf_counter()
        jobs.claim(db, worker_id, KINDS)
        empty.append(time.perf_counter() - tick)
    out.put((worker_id, ids, timings, empty, time.perf_counter() - started))
    db.dispose()


def fresh_database(base_url: str | None, folder: Path) -> tuple[str, Any]:
    """A migrated empty database and a function that removes it."""
    if not base_url:
        path = folder / f"queue-{uuid.uuid4().hex[:6]}.db"
        url = f"sqlite:///{path}"
        Database(url).upgrade()
        return url, lambda: None
    from sqlalchemy import create_engine

    name = f"helpbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = base_url.rsplit("/", 1)[0] + f"/{name}"
    Database(url).upgrade()

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    return url, drop


def run(base_url: str | None, folder: Path, workers: int, count: int) -> dict[str, Any]:
    url, drop = fresh_database(base_url, folder)
    try:
        db = Database(url)
        queued = [jobs.enqueue(db, "train", {"n": n}, created_by="bench") for n in range(count)]
        go, out = SPAWN.Event(), SPAWN.Queue()
        procs = [
            SPAWN.Process(target=claimer, args=(url, f"w{i}", go, out)) for i in range(workers)
        ]
        for proc in procs:
            proc.start()
        time.sleep(2.0)  # every process imported and connected before the start
        go.set()
        results = [out.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join(60)
        claimed = sorted(i for _, ids, _, _, _ in results for i in ids)
        timings = [t for _, _, ts, _, _ in results for t in ts]
        empty = [t for _, _, _, es, _ in results for t in es]
        wall = max(r[4] for r in results)
        db.dispose()
        return {
            "workers": workers,
            "jobs": count,
            "claim": latency_summary(timings),
            "empty_poll": latency_summary(empty),
            "jobs_per_s": round(count / wall, 1),
            "per_worker": {wid: len(ids) for wid, ids, _, _, _ in results},
            "each_job_once": claimed == queued,
        }
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=400, help="jobs queued per run")
    parser.add_argument("--database-url", default="", help="PostgreSQL server (default SQLite)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run(args.database_url or None, Path(tmp), n, args.jobs) for n in (1, 2)]
    backend = "postgresql" if args.database_url else "sqlite"
    emit({"worker_claims": {"backend": backend, "runs": runs}}, args.out)


if __name__ == "__main__":
    main()
