"""Retrieval latency (query embedding + hybrid search + registry gate) at 10k and 100k chunks.

    .venv/bin/python -m benchmarks.bench_search --sizes 10000 100000

Chunks are synthetic policy-like text with random unit vectors (embedding 100k real chunks
would take an hour on 2 cores and does not change search cost); queries are the sample QA's
questions, embedded for real. The baseline in the same run is the query embedding alone, so
the figure for the store and gate is `retrieve - embed`.

`stages` times each step of one hybrid retrieve apart, with the same arguments the retriever
passes: the store's vector half and BM25 half alone (each fetching the hybrid candidate
count), the whole hybrid store search (both halves run in parallel, then fused), the fusion
alone on those two lists, and the registry gate on the hybrid hits.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import QA_FILE, emit, latency_summary, sentence, vocabulary

CHUNKS_PER_DOC = 10
BATCH = 5_000


def fill(svc: Any, size: int, seed: int = 11) -> None:
    from knowledge.db.document_models import Document
    from knowledge.stores.base import ChunkRecord

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    words = vocabulary()
    dim = svc.embedder.dimension
    docs = size // CHUNKS_PER_DOC
    with svc.db.session() as session:
        session.add_all(
            Document(
                id=f"doc-{d}",
                source_uri=f"file:///bench/doc-{d}.md",
                title=f"Policy {d}",
                audiences=["everyone"],
                status="active",
                live_version=1,
                chunk_count=10,
            )
            for d in range(docs)
        )
    for start in range(0, size, BATCH):
        vectors = np_rng.standard_normal((min(BATCH, size - start), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        records = [
            ChunkRecord(
                document_id=f"doc-{(start + i) // CHUNKS_PER_DOC}",
                version=1,
                chunk_index=(start + i) % CHUNKS_PER_DOC,
                text=" ".join(sentence(rng, words) for _ in range(4)),
                title=f"Policy {(start + i) // CHUNKS_PER_DOC}",
                heading_path=("Policy", "Rules"),
                source_uri=f"file:///bench/doc-{(start + i) // CHUNKS_PER_DOC}.md",
                vector=tuple(float(x) for x in vector),
            )
            for i, vector in enumerate(vectors)
        ]
        result = svc.store.upsert(records)
        assert result.ok
    svc.store.optimize()


def measure(
    size: int, questions: list[str], repeats: int, data_dir: Path | None = None
) -> dict[str, Any]:
    from knowledge.services import Services
    from knowledge.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        directory = data_dir / str(size) if data_dir else Path(tmp)
        reuse = (directory / "helpbot.db").exists()
        svc = Services.from_settings(Settings(data_dir=directory))
        start = time.perf_counter()
        if not reuse:
            fill(svc, size)
        fill_s = time.perf_counter() - start
        for q in questions[:5]:  # warm caches and the model
            svc.retriever.retrieve(q)
        load_before = os.getloadavg()
        timings: dict[str, list[float]] = {}
        for _ in range(repeats):
            for q in questions:
                for name, seconds in stages(svc, q).items():
                    timings.setdefault(name, []).append(seconds)
        return {
            "chunks": svc.store.count(),
            "fill_s": None if reuse else round(fill_s, 1),
            "load_average_before_after": [
                [round(x, 2) for x in load] for load in (load_before, os.getloadavg())
            ],
            **{name: latency_summary(values) for name, values in timings.items()},
        }


def stages(svc: Any, question: str) -> dict[str, float]:
    """One question through the retrieval path, each stage timed apart (seconds)."""
    from knowledge.retrieval import OVERFETCH
    from knowledge.stores.base import SearchFilter
    from knowledge.stores.fusion import Scored, relative_score_fusion
    from knowledge.stores.lancedb_search import CANDIDATES_PER_METHOD

    retriever, store = svc.retriever, svc.store
    k = retriever.settings.k * OVERFETCH
    fetch = max(k * CANDIDATES_PER_METHOD, 20)
    alpha = retriever.settings.alpha
    everyone = SearchFilter(audiences=["everyone"])
    out: dict[str, float] = {}

    def timed(name: str, call: Any) -> Any:
        start = time.perf_counter()
        result = call()
        out[name] = time.perf_counter() - start
        return result

    vector = timed("query_embedding_only", lambda: svc.embedder.encode_query(question))
    by_vector = timed(
        "store_vector_half",
        lambda: store.search(question, vector, k=fetch, mode="vector", filters=everyone),
    )
    by_keyword = timed(
        "store_bm25_half",
        lambda: store.search(question, vector, k=fetch, mode="bm25", filters=everyone),
    )
    timed(
        "fusion",
        lambda: relative_score_fusion(
            [Scored(h.chunk, h.score) for h in by_keyword],
            [Scored(h.chunk, h.score) for h in by_vector],
            alpha=alpha,
            k=k,
        ),
    )
    hits = timed(
        "store_hybrid",
        lambda: store.search(question, vector, k=k, alpha=alpha, filters=everyone),
    )
    timed("registry_gate", lambda: retriever.live_hits(hits))
    timed("hybrid_retrieve", lambda: retriever.retrieve(question))
    timed("bm25_retrieve", lambda: retriever.retrieve(question, mode="bm25"))
    timed("vector_retrieve", lambda: retriever.retrieve(question, mode="vector"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="threads for the query embedding (HELPBOT_TORCH_THREADS); one short query gains "
        "nothing from a second thread, and two thrash when the other core is busy",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep each filled store in DATA_DIR/<size> and reuse it on later runs "
        "(filling 100k chunks and indexing them takes minutes)",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import torch

    from knowledge.qa_harness import load_qa

    torch.set_num_threads(args.torch_threads)

    questions = [item.question for item in load_qa(QA_FILE)]
    emit(
        {
            "search_latency": {
                str(size): measure(size, questions, args.repeats, args.data_dir)
                for size in args.sizes
            }
        },
        args.out,
    )


if __name__ == "__main__":
    main()
