"""Retrieval quality on the sample QA: chunk size x hybrid alpha, against BM25 and vector alone.

    .venv/bin/python -m benchmarks.bench_retrieval --chunk-tokens 96 128 160 --alphas 0.3 0.5 0.7

Each chunk size gets its own fresh knowledge base (the handbook ingested with that size); every
alpha is evaluated on it with the same harness as `helpbot eval`. The figures that matter for a
small model's prompt are context recall at 1,000 and 2,000 characters.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import HANDBOOK, QA_FILE, emit

FIGURES = ("recall@1", "recall@5", "mrr", "context_recall@1000", "context_recall@2000")


def run_chunk_size(chunk_tokens: int, overlap: int, alphas: list[float]) -> dict[str, Any]:
    from knowledge.ingest import SourceFile, walk
    from knowledge.qa_harness import evaluate_retrieval, load_qa
    from knowledge.services import Services
    from knowledge.settings import Settings

    items = load_qa(QA_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), chunk_tokens=chunk_tokens, chunk_overlap_tokens=overlap
        )
        svc = Services.from_settings(settings)
        results = list(svc.ingestor().ingest(SourceFile.from_path(p) for p in walk([HANDBOOK])))
        chunks = sum(r.chunks for r in results)
        # Questions are embedded once; only the fusion weight changes between runs.
        cached = functools.lru_cache(maxsize=None)(svc.embedder.encode_query)
        svc.embedder.encode_query = cached  # type: ignore[method-assign]
        rows: dict[str, Any] = {}
        retriever = svc.retriever
        for alpha in alphas:
            retriever.settings = dataclasses.replace(retriever.settings, alpha=alpha)
            report = evaluate_retrieval(
                items,
                lambda item, mode: retriever.retrieve(
                    item.question, audiences=item.audiences, k=10, mode=mode, min_score=0.0
                ),
            )["retrieval"]
            rows[f"hybrid@{alpha}"] = {f: report["hybrid"][f] for f in FIGURES}
            rows["bm25"] = {f: report["bm25"][f] for f in FIGURES}
            rows["vector"] = {f: report["vector"][f] for f in FIGURES}
        return {
            "chunk_tokens": chunk_tokens,
            "overlap_tokens": overlap,
            "chunks": chunks,
            "modes": rows,
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--chunk-tokens", type=int, nargs="+", default=[96, 128, 160, 224])
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.3, 0.5, 0.7])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    runs = [run_chunk_size(size, max(size // 7, 8), args.alphas) for size in args.chunk_tokens]
    emit({"retrieval_quality": runs}, args.out)
    print("\nchunk  mode          " + "  ".join(f"{f:>20}" for f in FIGURES))
    for run in runs:
        for mode, figures in run["modes"].items():
            cells = "  ".join(f"{figures[f]:>20.3f}" for f in FIGURES)
            print(f"{run['chunk_tokens']:>5}  {mode:<12}  {cells}")


if __name__ == "__main__":
    main()
