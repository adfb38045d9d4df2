"""Console responsiveness with 10,000 documents and 100,000 exchanges: first page load and tab
switches over HTTP (p50/p95), against a full-table load of the same data in the same run.

    .venv/bin/python -m benchmarks.bench_console --documents 10000 --exchanges 100000

Rows are bulk-inserted into a throw-away SQLite database (what `helpbot` creates by default).
"First load" is what a logged-in browser fetches on opening the console: the page shell, its
config and the header's load event. A "tab switch" is the named API call the tab's select event
makes (each tab shows one page of rows, never the whole table). The baseline loads every
document and every exchange row as the CLI's `docs list` does for documents.
"""

from __future__ import annotations

import argparse
import random
import socket
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from benchmarks.common import emit, latency_summary
from knowledge.db import admins
from knowledge.db import documents as registry
from knowledge.db.conversation_models import Conversation, Exchange, Vote
from knowledge.db.document_models import Document
from knowledge.services import Services
from knowledge.settings import Settings

PASSWORD = "benchmark password"
TABS: dict[str, list[Any]] = {
    "knowledge": ["", 1],
    "sources": ["all"],
    "exchanges": [[], [], "", "", "", 1],
    "training": [],
    "models": [],
    "insights": [30],
}


def populate(services: Services, documents: int, exchanges: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    db = services.db
    with db.session() as session:
        session.execute(
            insert(Document),
            [
                {
                    "id": f"doc-{i:05d}",
                    "source_uri": f"upload://doc-{i:05d}.md",
                    "title": f"Policy {i:05d}",
                    "owner": f"owner{i % 50}@example.com",
                    "audiences": ["everyone"],
                    "review_by": (now + timedelta(days=rng.randint(-60, 300))).date(),
                    "status": "active",
                    "live_version": 1,
                    "chunk_count": 10,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(documents)
            ],
        )
        conversations = max(1, exchanges // 5)
        session.execute(
            insert(Conversation),
            [
                {
                    "team_id": "T1",
                    "channel_id": f"C{i % 40}",
                    "thread_ts": f"{i}.0001",
                    "kind": rng.choice(["channel", "dm", "assistant", "command"]),
                    "started_by": f"U{i % 900}",
                    "title": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(conversations)
            ],
        )
        rows = []
        for i in range(exchanges):
            abstained = rng.random() < 0.15
            at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
            rows.append(
                {
                    "reference": f"r{i:08d}",
                    "conversation_id": i // 5 + 1,
                    "source": "mention",
                    "asker_id": f"U{i % 900}",
                    "audiences": ["everyone"],
                    "question": f"How does policy {i % 997} treat case {i % 13}?",
                    "standalone_question": "",
                    "status": "abstained" if abstained else "answered",
                    "answer": "According to the policy, yes. [1]",
                    "citations": [],
                    "passages": [],
                    "confidence": 0.7,
                    "abstained": abstained,
                    "grounding_failed": rng.random() < 0.03,
                    "model_version": "extractive",
                    "timings": {"total": round(rng.uniform(0.3, 3.0), 3)},
                    "visibility": "thread",
                    "created_at": at,
                    "answered_at": at,
                }
            )
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Exchange), rows[start : start + 10_000])
        session.execute(
            insert(Vote),
            [
                {
                    "exchange_id": i + 1,
                    "user_id": f"U{i % 900}",
                    "value": 1 if rng.random() < 0.7 else -1,
                    "source": "reaction",
                    "reactions": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(0, exchanges, 5)
            ],
        )
        admins.add_user(session, "bench", PASSWORD, "owner", by="benchmark")


def call(client: httpx.Client, endpoint: str, data: list[Any]) -> None:
    event = client.post(f"/gradio_api/call/{endpoint}", json={"data": data}).json()["event_id"]
    text = client.get(f"/gradio_api/call/{endpoint}/{event}").text
    if "event: error" in text:
        raise RuntimeError(f"{endpoint} failed: {text[:300]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(services: Services, repeats: int) -> dict[str, Any]:
    from admin.__main__ import build_context
    from admin.server import launch

    port = free_port()
    app = launch(build_context(services), "127.0.0.1", port, block=False)
    url = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {}
    try:
        client = httpx.Client(base_url=url, timeout=120)
        assert client.post("/login", data={"username": "bench", "password": PASSWORD}).is_success
        first = []
        for _ in range(repeats):
            started = time.perf_counter()
            client.get("/").raise_for_status()
            client.get("/config").raise_for_status()
            first.append(time.perf_counter() - started)
        results["first_load"] = latency_summary(first)
        for tab, data in TABS.items():
            endpoint = "documents" if tab == "knowledge" else tab
            call(client, endpoint, data)  # warm
            seconds = []
            for _ in range(repeats):
                started = time.perf_counter()
                call(client, endpoint, data)
                seconds.append(time.perf_counter() - started)
            results[f"tab_{tab}"] = latency_summary(seconds)
    finally:
        app.close()
    return results


def baseline(services: Services, repeats: int) -> dict[str, Any]:
    """Loading whole tables, as a console without paging would."""
    documents, exchanges = [], []
    for _ in range(max(3, repeats // 4)):
        started = time.perf_counter()
        with services.db.session() as session:
            registry.list_all(session)
        documents.append(time.perf_counter() - started)
        started = time.perf_counter()
        with services.db.session() as session:
            list(session.scalars(select(Exchange)))
        exchanges.append(time.perf_counter() - started)
    return {
        "all_documents": latency_summary(documents),
        "all_exchanges": latency_summary(exchanges),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), generator="extractive")
        services = Services.from_settings(settings)
        started = time.perf_counter()
        populate(services, args.documents, args.exchanges)
        filled = time.perf_counter() - started
        result = {
            "documents": args.documents,
            "exchanges": args.exchanges,
            "populate_s": round(filled, 1),
            "console": measure(services, args.repeats),
            "baseline_full_load": baseline(services, args.repeats),
        }
        services.close()
    emit(result, args.out)


if __name__ == "__main__":
    main()
