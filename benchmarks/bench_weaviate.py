"""Weaviate adapter benchmark: upsert throughput and hybrid query latency over the real client.

    .venv/bin/python benchmarks/bench_weaviate.py                      # JSON on stdout
    .venv/bin/python benchmarks/bench_weaviate.py --json benchmarks/results/weaviate.json

The server is the fake Weaviate (tests/fakes/weaviate_server) in its own process: the real
weaviate-client talks REST and gRPC to it on localhost. Its ranking is pure Python, so absolute
latencies say little about a real Weaviate; what this measures is the CLIENT side. For every
call it records the time spent inside the fake's handlers and reports

- `wall`: what the caller waits for (client + wire + fake server);
- `client`: wall minus server handler time = serialization, gRPC/HTTP, parsing, our adapter;
- `direct_client`: the same operation through weaviate-client without WeaviateStore (also
  minus server time), so `adapter_overhead` (client - direct_client) is what WeaviateStore
  itself adds on top of weaviate-client;
- `client_cpu` / `adapter_overhead_cpu`: the same from the calling thread's CPU time, which
  stays meaningful on a loaded machine where wall-clock differences drown in scheduling noise.

Sizes default to 1k and 10k chunks of 384-d vectors (MiniLM's dimension); queries are hybrid,
k=10, alpha=0.5, once without filters and once with the bot's audience + status filter.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import emit, latency_summary, sentence, vocabulary  # noqa: E402
from knowledge.stores.base import ChunkRecord, SearchFilter, collection_name  # noqa: E402
from knowledge.stores.weaviate_schema import (  # noqa: E402
    KEYWORD_PROPERTIES,
    RETURN_PROPERTIES,
    VECTOR_NAME,
    to_properties,
)
from knowledge.stores.weaviate_store import BATCH_SIZE, WeaviateStore  # noqa: E402
from tests.fakes.weaviate_server import Endpoint, FakeWeaviateServer  # noqa: E402
from tests.fakes.weaviate_server.rest import STATS_PATH  # noqa: E402

DIMENSION = 384
UPSERT_CALL = 1_000  # chunks per WeaviateStore.upsert call, as ingestion sends them
AUDIENCES = ("everyone", "engineering", "managers", "people-team")


def make_chunks(
    rng: random.Random, words: Sequence[str], count: int, seed: int
) -> list[ChunkRecord]:
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        ChunkRecord(
            document_id=f"doc-{i // 20}",
            version=1,
            chunk_index=i % 20,
            text=" ".join(sentence(rng, words) for _ in range(3)),
            title=f"Policy {i // 20}",
            heading_path=(f"Policy {i // 20}", f"Section {i % 20}"),
            source_uri=f"file:///handbook/doc-{i // 20}.md",
            audiences=(rng.choice(AUDIENCES), "everyone") if i % 3 else (rng.choice(AUDIENCES),),
            vector=tuple(float(x) for x in vectors[i]),
        )
        for i in range(count)
    ]


def serve(pipe: Connection) -> None:
    """The fake server's own process: no GIL or garbage collector shared with the client."""
    with FakeWeaviateServer() as server:
        pipe.send(server.endpoint)
        pipe.recv()  # until the benchmark says stop


class Meter:
    """Wall time of a call and the fake server's handler time during it (read over HTTP from
    the server process, outside the timed region)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._http = httpx.Client(base_url=endpoint.url)

    def _handler_seconds(self) -> float:
        return float(self._http.get(STATS_PATH).json()["handler_seconds"])

    def __call__(self, action: Callable[[], Any]) -> tuple[float, float, float]:
        """(wall, server handler, client CPU) seconds. CPU time of the calling thread is what
        the client itself burns; unlike wall minus server, it does not grow with machine load."""
        before = self._handler_seconds()
        start, cpu = time.perf_counter(), time.thread_time()
        action()
        wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
        return wall, self._handler_seconds() - before, cpu

    def close(self) -> None:
        self._http.close()


def bench_upsert(
    meter: Meter, store: WeaviateStore, direct: Any, chunks: list[ChunkRecord]
) -> dict:
    """Adapter and direct-client upserts, interleaved per call so drift hits both alike."""
    from weaviate.classes.data import DataObject

    adapter = {"wall": 0.0, "server": 0.0, "cpu": 0.0}
    plain = {"wall": 0.0, "server": 0.0, "cpu": 0.0}
    for start in range(0, len(chunks), UPSERT_CALL):
        part = chunks[start : start + UPSERT_CALL]
        wall, server, cpu = meter(partial(store.upsert, part))
        adapter["wall"] += wall
        adapter["server"] += server
        adapter["cpu"] += cpu

        def send(p: list[ChunkRecord] = part) -> None:
            objects = [
                DataObject(
                    uuid=c.id, properties=to_properties(c), vector={VECTOR_NAME: list(c.vector)}
                )
                for c in p
            ]
            for i in range(0, len(objects), BATCH_SIZE):  # the adapter's request size
                direct.data.insert_many(objects[i : i + BATCH_SIZE])

        wall, server, cpu = meter(send)
        plain["wall"] += wall
        plain["server"] += server
        plain["cpu"] += cpu
    per_1000 = 1000 / len(chunks)
    client = adapter["wall"] - adapter["server"]
    direct_client = plain["wall"] - plain["server"]
    return {
        "objects": len(chunks),
        "objects_per_s": round(len(chunks) / adapter["wall"]),
        "s_per_1000": round(adapter["wall"] * per_1000, 3),
        "server_s_per_1000": round(adapter["server"] * per_1000, 3),
        "client_s_per_1000": round(client * per_1000, 3),
        "direct_client_s_per_1000": round(direct_client * per_1000, 3),
        "adapter_overhead_s_per_1000": round((client - direct_client) * per_1000, 3),
        "client_cpu_s_per_1000": round(adapter["cpu"] * per_1000, 3),
        "direct_client_cpu_s_per_1000": round(plain["cpu"] * per_1000, 3),
        "adapter_overhead_cpu_s_per_1000": round((adapter["cpu"] - plain["cpu"]) * per_1000, 3),
    }


def bench_queries(
    meter: Meter,
    store: WeaviateStore,
    direct: Any,
    queries: list[tuple[str, tuple[float, ...]]],
    filters: SearchFilter | None,
) -> dict:
    from weaviate.classes.query import HybridFusion, MetadataQuery

    from knowledge.stores.weaviate_schema import where_filter

    where, _ = where_filter(filters)
    walls, clients, direct_clients, cpus, direct_cpus = [], [], [], [], []
    for text, vector in queries:
        wall, server, cpu = meter(partial(store.search, text, vector, k=10, filters=filters))
        walls.append(wall)
        clients.append(wall - server)
        cpus.append(cpu)

        def raw(t: str = text, v: tuple[float, ...] = vector) -> None:
            direct.query.hybrid(
                t, vector=list(v), alpha=0.5, target_vector=VECTOR_NAME, limit=10, filters=where,
                fusion_type=HybridFusion.RELATIVE_SCORE, query_properties=KEYWORD_PROPERTIES,
                return_metadata=MetadataQuery(score=True, explain_score=True),
                return_properties=RETURN_PROPERTIES,
            )  # fmt: skip

        wall, server, cpu = meter(raw)
        direct_clients.append(wall - server)
        direct_cpus.append(cpu)
    client = latency_summary(clients)
    plain = latency_summary(direct_clients)
    return {
        "wall": latency_summary(walls),
        "client": client,
        "direct_client": plain,
        "adapter_overhead_p50_ms": round(client["p50_ms"] - plain["p50_ms"], 2),
        "client_cpu": latency_summary(cpus),
        "direct_client_cpu": latency_summary(direct_cpus),
        "adapter_overhead_cpu_p50_ms": round(
            latency_summary(cpus)["p50_ms"] - latency_summary(direct_cpus)["p50_ms"], 2
        ),
    }


def warm_up(url: str, grpc_port: int, chunks: list[ChunkRecord]) -> None:
    """First calls pay for imports, channel set-up and caches; keep them out of the numbers."""
    store = WeaviateStore(
        url, grpc_port=grpc_port, api_key=None, dimension=DIMENSION,
        default_collection=collection_name("warmup"), alias="BenchWarmup", timeout_s=60.0,
    )  # fmt: skip
    store.ensure_schema()
    store.upsert(chunks)
    for chunk in chunks[:20]:
        store.search(chunk.text, chunk.vector, k=10)
    store.close()


def bench_size(
    meter: Meter, endpoint: Endpoint, rng: random.Random, words: list[str], size: int, n: int
) -> dict:
    name = collection_name(f"bench{size}")
    store = WeaviateStore(
        endpoint.url, grpc_port=endpoint.grpc_port, api_key=None, dimension=DIMENSION,
        default_collection=name, alias=f"Bench{size}", timeout_s=60.0,
    )  # fmt: skip
    store.ensure_schema()
    store.create_collection(collection_name(f"direct{size}"))
    client = store._connection.client()  # the adapter's own client: same connection settings
    direct = client.collections.use(collection_name(f"direct{size}"))
    chunks = make_chunks(rng, words, size, seed=size)
    upsert = bench_upsert(meter, store, direct, chunks)
    queries = [
        (" ".join(rng.choice(words) for _ in range(4)), chunks[rng.randrange(size)].vector)
        for _ in range(n)
    ]
    for text, vector in queries[:10]:  # warm-up: channel, caches, first-call imports
        store.search(text, vector, k=10)
    direct = client.collections.use(name)  # query the same data as the adapter
    bot_filter = SearchFilter(audiences=["everyone", "engineering"])
    result = {
        "upsert": upsert,
        "hybrid_k10": bench_queries(meter, store, direct, queries, None),
        "hybrid_k10_filtered": bench_queries(meter, store, direct, queries, bot_filter),
    }
    store.close()
    return result


def run(sizes: Sequence[int], n_queries: int) -> dict:
    rng = random.Random(7)
    words = vocabulary()
    results: dict[str, Any] = {}
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(theirs,), daemon=True)
    process.start()
    endpoint: Endpoint = ours.recv()
    meter = Meter(endpoint)
    try:
        warm_up(endpoint.url, endpoint.grpc_port, make_chunks(rng, words, 300, seed=1))
        for size in sizes:
            results[str(size)] = bench_size(meter, endpoint, rng, words, size, n_queries)
    finally:
        meter.close()
        ours.send("stop")
        process.join(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run(args.sizes, args.queries)
    emit(
        {
            "benchmark": "weaviate_adapter",
            "server": "fake Weaviate (tests/fakes/weaviate_server), separate process, localhost",
            "load_average_1m": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
            "dimension": DIMENSION,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "results": results,
            "seconds": round(time.perf_counter() - started, 1),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
