"""Ingestion throughput end to end against raw `encode` of the same chunk texts, and peak memory.

    .venv/bin/python -m benchmarks.bench_ingest --docs 300
    .venv/bin/python -m benchmarks.bench_ingest --memory --docs 1600 --factor 4
        # peak RSS: a corpus vs one 4x larger, each in a fresh process

End to end = read + parse + chunk + embed + store + registry switch. The ratio to raw encode
(the embedding model alone on the identical texts, same process, same batch size) says how
much the pipeline costs on top of the model: the target is at least 0.8.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import emit, markdown_document, peak_rss_mb, vocabulary


def write_corpus(folder: Path, docs: int, sections: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    words = vocabulary()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(docs):
        path = folder / f"policy-{i:05d}.md"
        path.write_text(markdown_document(rng, words, i, sections), encoding="utf-8")
        paths.append(path)
    return paths


def services_in(data_dir: Path) -> Any:
    from knowledge.services import Services
    from knowledge.settings import Settings

    return Services.from_settings(Settings(data_dir=data_dir))


def throughput(docs: int, sections: int) -> dict[str, Any]:
    from knowledge.documents.chunking import chunk_document, contextual_text
    from knowledge.documents.parsing import parse_document
    from knowledge.ingest import SourceFile

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(Path(tmp) / "corpus", docs, sections)
        svc = services_in(Path(tmp) / "data")
        ingestor = svc.ingestor()
        svc.embedder.encode(["warm-up"] * 8)  # load the model outside both timings
        texts = []
        for path in paths:
            parsed = parse_document(path.read_bytes(), path.name)
            for chunk in chunk_document(
                parsed,
                count_tokens=ingestor.count_tokens,
                chunk_tokens=ingestor.options.chunk_tokens,
                overlap_tokens=ingestor.options.overlap_tokens,
            ):
                texts.append(contextual_text(parsed.title, chunk.heading_path, chunk.text))

        start = time.perf_counter()
        svc.embedder.encode(texts)
        raw_s = time.perf_counter() - start

        svc.store  # noqa: B018 - open the store outside the timing, as a running service has
        start = time.perf_counter()
        results = list(ingestor.ingest(SourceFile.from_path(p) for p in paths))
        end_to_end_s = time.perf_counter() - start
        chunks = sum(r.chunks for r in results)
        assert chunks == len(texts), (chunks, len(texts))
        assert all(r.outcome == "indexed" for r in results)
        return {
            "docs": docs,
            "chunks": chunks,
            "raw_encode_chunks_per_s": round(len(texts) / raw_s, 1),
            "end_to_end_chunks_per_s": round(chunks / end_to_end_s, 1),
            "ratio_end_to_end_to_raw": round(raw_s / end_to_end_s, 3),
            "raw_encode_s": round(raw_s, 2),
            "end_to_end_s": round(end_to_end_s, 2),
        }


def memory_run(docs: int, sections: int) -> dict[str, Any]:
    from knowledge.ingest import SourceFile

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(Path(tmp) / "corpus", docs, sections)
        svc = services_in(Path(tmp) / "data")
        svc.embedder.encode(["warm-up"])
        before = peak_rss_mb()
        chunks = sum(
            r.chunks for r in svc.ingestor().ingest(SourceFile.from_path(p) for p in paths)
        )
        corpus_mb = sum(p.stat().st_size for p in paths) / 1024 / 1024
        return {
            "docs": docs,
            "chunks": chunks,
            "corpus_mb": round(corpus_mb, 2),
            "peak_rss_before_mb": before,
            "peak_rss_after_mb": peak_rss_mb(),
        }


def memory_comparison(small: int, factor: int, sections: int) -> dict[str, Any]:
    """Each size in a fresh process so one peak does not hide the other."""
    runs = []
    for docs in (small, small * factor):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.bench_ingest",
                "--memory-child",
                str(docs),
                "--sections",
                str(sections),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        import json

        runs.append(json.loads(out))
    growth = runs[1]["peak_rss_after_mb"] - runs[0]["peak_rss_after_mb"]
    return {"runs": runs, f"peak_growth_mb_for_{factor}x_corpus": round(growth, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--sections", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="peak memory, docs/factor vs docs")
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.memory_child:
        import json

        print(json.dumps(memory_run(args.memory_child, args.sections)))
        return
    if args.memory:
        small = max(args.docs // args.factor, 20)
        emit({"memory": memory_comparison(small, args.factor, args.sections)}, args.out)
        return
    emit({"throughput": throughput(args.docs, args.sections)}, args.out)


if __name__ == "__main__":
    main()
