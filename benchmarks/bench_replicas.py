"""Slack burst on two bot replicas sharing one database: PostgreSQL against SQLite, same run.

Two bots (each its own Bolt app, worker pools and HTTP server) answer from one database, as
behind the compose file's load balancer. Each sender process posts to one replica; a Slack
retry (X-Slack-Retry-Num) of an event may reach either replica, so exactly-once is decided
in the database (slack_events). Reported per backend: ack p50/p99, answers per second, and
how many questions got exactly one reply holding their answer.

    .venv/bin/python -m benchmarks.bench_replicas                    # 200 questions, 50 retries
    .venv/bin/python -m benchmarks.bench_replicas --postgres-url postgresql+psycopg://...

Without --postgres-url (or HELPBOT_TEST_POSTGRES_URL) a throw-away PostgreSQL cluster is
started from Debian's binaries (as the postgres user when run as root) and removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.bench_slack import VARIANTS, StubAnswers, _send_share, burst_events
from benchmarks.common import percentile
from benchmarks.slack_replies import Sent, check_answers
from bot.app import build_runtime
from bot.deps import Deps
from bot.http_server import BackgroundServer
from knowledge.db.connection import Database
from tests.bot.conftest import make_config
from tests.bot.fake_slack_api import FakeSlackApi

REPLICAS = 2


@contextmanager
def postgres_server(url: str | None) -> Iterator[str]:
    """The given server, or a throw-away cluster on a free loopback port."""
    if url:
        yield url
        return
    import glob
    import shutil
    import socket
    import subprocess

    [initdb, *_] = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True) or [""]
    if not initdb:
        raise SystemExit("no PostgreSQL binaries: apt-get install postgresql, or --postgres-url")
    work = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(work, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    init = [*as_user, initdb, "-D", f"{work}/db", "-A", "trust", "-U", "postgres"]
    subprocess.run(init, check=True, capture_output=True)
    options = f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c max_connections=200"
    log = f"{work}/server.log"  # the server must not inherit our pipes (run() would wait)
    start = [*as_user, pg_ctl, "-D", f"{work}/db", "-l", log, "-o", options, "-w", "start"]
    subprocess.run(start, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [*as_user, pg_ctl, "-D", f"{work}/db", "-m", "fast", "stop"]
        subprocess.run(stop, check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


def fresh_database(backend: str, server: str, work: Path) -> Database:
    if backend == "sqlite":
        db = Database(f"sqlite:///{work / 'helpbot.db'}")
    else:
        from sqlalchemy import create_engine

        name = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
        db = Database(server.rsplit("/", 1)[0] + f"/{name}")
    db.upgrade()
    return db


def deliver(
    urls: list[str], events: list[dict[str, Any]], retries: set[int], concurrency: int
) -> tuple[list[Sent], float, float]:
    """One sender process per replica; a retry goes wherever the shuffle puts it."""
    jobs = [(body, None) for body in events] + [(events[i], 1) for i in sorted(retries)]
    random.Random(7).shuffle(jobs)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(urls) + 1)
        with context.Pool(len(urls)) as pool:
            pending = [
                pool.apply_async(
                    _send_share,
                    (url, jobs[n :: len(urls)], max(1, concurrency // len(urls)), barrier),
                )
                for n, url in enumerate(urls)
            ]
            barrier.wait()
            started = time.perf_counter()
            sent = [s for share in pending for s in share.get()]
            wall = time.perf_counter() - started
    return sent, started, wall


def run(args: argparse.Namespace, backend: str, server: str) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    db = fresh_database(backend, server, work)
    answers = StubAnswers(args.stub_delay_ms / 1000, args.tokens, args.token_rate)
    streaming, rate = VARIANTS["stream-trusted"]
    slack = FakeSlackApi().start()
    channels = [f"C{n:04d}" for n in range(10)]
    for channel in channels:
        slack.add_channel(channel)
    runtimes, servers = [], []
    for n in range(REPLICAS):
        config = replace(
            make_config(slack),
            rate_limit_per_minute=max(10, args.questions),
            answer_workers=args.answer_workers,
            answer_timeout_s=3600.0,
            instance_id=f"replica-{n + 1}",
            streaming=streaming,
        )
        deps = Deps(config=config, db=db, answers=answers, grounding_pass_rate=lambda: rate)
        runtimes.append(build_runtime(deps))
        servers.append(BackgroundServer(runtimes[-1].app).start())
    try:
        events = burst_events(args.questions, args.users, channels)
        retries = set(random.Random(3).sample(range(len(events)), args.retries))
        sent, origin, wall = deliver([s.url for s in servers], events, retries, args.concurrency)
        drained = all(r.drain(args.timeout) for r in runtimes)
        total = time.perf_counter() - origin
        acks = [s.ack_s * 1000 for s in sent]
        exactly_once = check_answers(slack, sent, "25 days")
        return {
            "backend": backend,
            "replicas": REPLICAS,
            "questions": args.questions,
            "retries": len(retries),
            "http_statuses": sorted({s.status for s in sent}),
            "ack_ms": {
                "p50": round(statistics.median(acks), 2),
                "p99": round(percentile(acks, 0.99), 2),
                "max": round(max(acks), 2),
            },
            "events_acked_per_s": round(len(sent) / wall, 1),
            "all_answered_s": round(total, 2) if drained else None,
            "answers_per_s": round(args.questions / total, 1) if drained else None,
            "answer_service_calls": answers.calls,
            "exactly_once": exactly_once,
            "ok": bool(
                drained
                and answers.calls == args.questions
                and exactly_once["with_exactly_one_reply"] == args.questions
                and exactly_once["replies_holding_an_answer"] == args.questions
            ),
        }
    finally:
        for server_ in servers:
            server_.stop()
        for runtime in runtimes:
            runtime.close()
        slack.stop()
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--retries", type=int, default=50, help="events delivered twice")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--answer-workers", type=int, default=4, help="per replica")
    parser.add_argument("--tokens", type=int, default=20, help="tokens per stub answer")
    parser.add_argument("--token-rate", type=float, default=40.0)
    parser.add_argument("--stub-delay-ms", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--backends", nargs="+", choices=("sqlite", "postgresql"), default=["postgresql", "sqlite"]
    )
    parser.add_argument("--postgres-url", default=os.environ.get("HELPBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with postgres_server(args.postgres_url if "postgresql" in args.backends else "-") as server:
        results = [run(args, backend, server) for backend in args.backends]
    print(json.dumps({"cpus": os.cpu_count(), "runs": results}, indent=2))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
