"""Retrieval latency (query embedding + hybrid search + registry gate) at 10k and 100k chunks.

    .venv/bin/python -m benchmarks.bench_search --sizes 10000 100000

Chunks are synthetic policy-like text with random unit vectors (embedding 100k real chunks
would take an hour on 2 cores and does not change search cost); queries are the sample QA's
questions, embedded for real. The baseline in the same run is the query embedding alone, so
the figure for the store and gate is `retrieve - embed`.
"""

from __future__ import annotations

import argparse
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
    from knowledge.db.models import Document
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
    optimize = getattr(svc.store, "optimize", None)
    if optimize:
        optimize()


def measure(size: int, questions: list[str], repeats: int) -> dict[str, Any]:
    from knowledge.services import Services
    from knowledge.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        svc = Services.from_settings(Settings(data_dir=Path(tmp)))
        start = time.perf_counter()
        fill(svc, size)
        fill_s = time.perf_counter() - start
        for q in questions[:5]:  # warm caches and the model
            svc.retriever.retrieve(q)
        embed, retrieve, bm25, vector = [], [], [], []
        for _ in range(repeats):
            for q in questions:
                t0 = time.perf_counter()
                svc.embedder.encode_query(q)
                t1 = time.perf_counter()
                svc.retriever.retrieve(q)
                t2 = time.perf_counter()
                svc.retriever.retrieve(q, mode="bm25")
                t3 = time.perf_counter()
                svc.retriever.retrieve(q, mode="vector")
                t4 = time.perf_counter()
                embed.append(t1 - t0)
                retrieve.append(t2 - t1)
                bm25.append(t3 - t2)
                vector.append(t4 - t3)
        return {
            "chunks": svc.store.count(),
            "fill_s": round(fill_s, 1),
            "hybrid_retrieve": latency_summary(retrieve),
            "bm25_retrieve": latency_summary(bm25),
            "vector_retrieve": latency_summary(vector),
            "query_embedding_only": latency_summary(embed),
        }


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
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import torch

    from knowledge.evaluation import load_qa

    torch.set_num_threads(args.torch_threads)

    questions = [item.question for item in load_qa(QA_FILE)]
    emit(
        {
            "search_latency": {
                str(size): measure(size, questions, args.repeats) for size in args.sizes
            }
        },
        args.out,
    )


if __name__ == "__main__":
    main()
