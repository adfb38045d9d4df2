"""Listing one document's chunks: store.list_chunks against the probe-vector search it replaced.

    nice -n 15 .venv/bin/python -m benchmarks.bench_list_chunks \
        --out benchmarks/results/list-chunks.json

Each store (LanceDB in a temporary folder; the in-process Weaviate fake through the real
client, which measures the adapter and the fake, not a real server) holds `--background` other
chunks plus one document per size in `--sizes`. The baseline in the same run is what the
rebuild, `docs show --chunks` and the console used before: a vector search restricted to the
document with a unit probe vector and Weaviate's 10,000-result maximum, then that version's
chunks sorted by index. Reported per size: median seconds of each and how many chunks each
returned (the probe search stops at 10,000).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import emit

DIMENSION = 384
QUERY_MAXIMUM = 10_000
BATCH = 2_000


def records(document_id: str, size: int, rng: np.random.Generator) -> Iterator[list[Any]]:
    from knowledge.stores.base import ChunkRecord

    for start in range(0, size, BATCH):
        count = min(BATCH, size - start)
        vectors = rng.standard_normal((count, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        yield [
            ChunkRecord(
                document_id=document_id,
                version=1,
                chunk_index=start + i,
                text=f"Passage {start + i} of {document_id}: expenses, leave and travel rules.",
                title=document_id,
                heading_path=(document_id, f"Section {(start + i) // 20}"),
                source_uri=f"file:///bench/{document_id}.md",
                vector=tuple(float(x) for x in vectors[i]),
            )
            for i in range(count)
        ]


def probe_listing(store: Any, document_id: str) -> list[Any]:
    """The replaced way: a filtered vector search with a unit probe, capped at the maximum."""
    from knowledge.stores.base import SearchFilter

    probe = [1.0] + [0.0] * (DIMENSION - 1)
    hits = store.search(
        "",
        probe,
        k=QUERY_MAXIMUM,
        mode="vector",
        filters=SearchFilter(document_ids=[document_id], statuses=None),
    )
    return sorted((h.chunk for h in hits if h.chunk.version == 1), key=lambda c: c.chunk_index)


def median_seconds(run: Callable[[], list[Any]], repeats: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        found = len(run())
        times.append(time.perf_counter() - started)
    return statistics.median(times), found


@contextmanager
def lancedb_store(folder: Path) -> Iterator[Any]:
    from knowledge.stores.base import collection_name
    from knowledge.stores.lancedb_store import LanceDBStore

    store = LanceDBStore(folder, dimension=DIMENSION, default_collection=collection_name("bench"))
    store.ensure_schema()
    yield store
    store.close()


@contextmanager
def weaviate_store(folder: Path) -> Iterator[Any]:
    del folder
    from knowledge.stores.base import collection_name
    from knowledge.stores.weaviate_store import WeaviateStore
    from tests.fakes.weaviate_server import FakeWeaviateServer

    server = FakeWeaviateServer()
    endpoint = server.start()
    store = WeaviateStore(
        endpoint.url,
        grpc_port=endpoint.grpc_port,
        api_key=None,
        dimension=DIMENSION,
        default_collection=collection_name("bench"),
        timeout_s=60.0,
    )
    try:
        store.ensure_schema()
        yield store
    finally:
        store.close()
        server.stop()


def measure(
    backend: str, background: int, sizes: list[int], repeats: int, folder: Path
) -> dict[str, Any]:
    opener = lancedb_store if backend == "lancedb" else weaviate_store
    rng = np.random.default_rng(7)
    with opener(folder / backend) as store:
        started = time.perf_counter()
        for document_id, size in [("background", background)] + [(f"doc-{n}", n) for n in sizes]:
            for batch in records(document_id, size, rng):
                assert store.upsert(batch).ok
        store.optimize()
        load_s = time.perf_counter() - started
        rows = []
        for size in sizes:
            document_id = f"doc-{size}"
            old_s, old_found = median_seconds(
                lambda d=document_id: probe_listing(store, d), repeats
            )
            new_s, new_found = median_seconds(
                lambda d=document_id: store.list_chunks(d, 1), repeats
            )
            rows.append(
                {
                    "chunks": size,
                    "probe_search_s": round(old_s, 4),
                    "probe_search_found": old_found,
                    "list_chunks_s": round(new_s, 4),
                    "list_chunks_found": new_found,
                }
            )
        return {
            "backend": backend,
            "stored": store.count(),
            "load_s": round(load_s, 1),
            "rows": rows,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--background", type=int, default=20_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 9_000, 12_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["lancedb", "weaviate"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = [
            measure(b, args.background, args.sizes, args.repeats, Path(folder))
            for b in args.backends
        ]
    emit({"benchmark": "list_chunks", "dimension": DIMENSION, "results": results}, args.out)


if __name__ == "__main__":
    main()
