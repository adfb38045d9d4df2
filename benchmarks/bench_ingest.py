"""Ingestion throughput end to end against raw `encode` of the same chunk texts, and peak memory.

    .venv/bin/python -m benchmarks.bench_ingest --docs 300
    .venv/bin/python -m benchmarks.bench_ingest --corpus ../shared/corpora/18f-handbook/pages
        # a real folder instead of synthetic files (files with no text are counted, not indexed);
        # add --group-files 40 to alternate raw and end to end per 40 files on a busy machine
    .venv/bin/python -m benchmarks.bench_ingest --memory --docs 1600 --factor 4
        # peak RSS: a corpus vs one 4x larger, each in a fresh process

End to end = read + parse + chunk + embed + store + registry switch + the store's optimize,
what `helpbot ingest` does. The ratio to raw encode (the embedding model alone on the
identical texts, same process, same batch size, one call) says how much the pipeline costs on
top of the model: the target is at least 0.8.
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


def throughput(docs: int, sections: int, group_files: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(Path(tmp) / "corpus", docs, sections)
        result = corpus_throughput(paths, Path(tmp) / "data", group_files)
        assert result["failed_files"] == 0, result
        return {"docs": docs, **result}


def corpus_throughput(paths: list[Path], data_dir: Path, group_files: int = 0) -> dict[str, Any]:
    """Raw encode of the corpus's chunk texts, then the same files ingested end to end.

    With `group_files`, the two alternate over groups of that many files and are summed, so a
    machine whose load drifts during a long run weighs on both sides alike.
    """
    import os

    svc = services_in(data_dir)
    ingestor = svc.ingestor()
    svc.embedder.encode(["warm-up"] * 8)  # load the model outside both timings
    svc.store  # noqa: B018 - open the store outside the timing, as a running service has
    load_before = os.getloadavg()[0]
    size = group_files or len(paths)
    totals = {"parse_chunk": 0.0, "raw": 0.0, "end_to_end": 0.0}
    texts: list[str] = []
    results: list[Any] = []
    for first in range(0, len(paths), size):
        group = paths[first : first + size]
        start = time.perf_counter()
        group_texts = chunk_texts(group, ingestor)
        totals["parse_chunk"] += time.perf_counter() - start
        start = time.perf_counter()
        svc.embedder.encode(group_texts)
        totals["raw"] += time.perf_counter() - start
        start = time.perf_counter()
        results.extend(ingest_files(ingestor, group))
        totals["end_to_end"] += time.perf_counter() - start
        texts.extend(group_texts)
        if group_files:  # a long run on a busy machine: the figures so far, to stderr
            sys.stderr.write(
                f"{first + len(group)}/{len(paths)} files, {len(texts)} chunks: raw "
                f"{totals['raw']:.1f} s, end to end {totals['end_to_end']:.1f} s, ratio "
                f"{totals['raw'] / totals['end_to_end']:.3f}\n"
            )
    start = time.perf_counter()
    optimize = getattr(svc.store, "optimize", None)
    if optimize:
        optimize()
    totals["end_to_end"] += time.perf_counter() - start
    raw_s, end_to_end_s = totals["raw"], totals["end_to_end"]
    chunks = sum(r.chunks for r in results)
    assert chunks == len(texts), (chunks, len(texts))
    return {
        "files": len(paths),
        "indexed_files": sum(r.outcome == "indexed" for r in results),
        "failed_files": sum(r.outcome == "failed" for r in results),
        "chunks": chunks,
        "group_files": size,
        "raw_encode_chunks_per_s": round(len(texts) / raw_s, 1),
        "end_to_end_chunks_per_s": round(chunks / end_to_end_s, 1),
        "ratio_end_to_end_to_raw": round(raw_s / end_to_end_s, 3),
        "raw_encode_s": round(raw_s, 2),
        "end_to_end_s": round(end_to_end_s, 2),
        "parse_and_chunk_alone_s": round(totals["parse_chunk"], 2),
        "load_average_before_after": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def chunk_texts(paths: list[Path], ingestor: Any) -> list[str]:
    """The texts ingestion embeds for these files (files that cannot be parsed have none)."""
    from knowledge.documents.chunking import chunk_document, contextual_text
    from knowledge.documents.parsed import ParseError
    from knowledge.documents.parsing import parse_document

    texts = []
    for path in paths:
        try:
            parsed = parse_document(path.read_bytes(), path.name)
        except ParseError:
            continue  # the ingest reports it as failed
        for chunk in chunk_document(
            parsed,
            count_tokens=ingestor.count_tokens,
            chunk_tokens=ingestor.options.chunk_tokens,
            overlap_tokens=ingestor.options.overlap_tokens,
        ):
            texts.append(contextual_text(parsed.title, chunk.heading_path, chunk.text))
    return texts


def ingest_files(ingestor: Any, paths: list[Path]) -> list[Any]:
    from knowledge.ingest import SourceFile

    return list(ingestor.ingest(SourceFile.from_path(p) for p in paths))


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
    parser.add_argument("--corpus", type=Path, help="ingest this folder instead of synthetic docs")
    parser.add_argument("--data-dir", type=Path, help="with --corpus: a fresh data folder to keep")
    parser.add_argument(
        "--group-files", type=int, default=0, help="alternate raw and end to end per N files"
    )
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
    if args.corpus:
        from knowledge.ingest import walk

        paths = list(walk([args.corpus]))
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = args.data_dir or Path(tmp) / "data"
            result = corpus_throughput(paths, data_dir, args.group_files)
            emit({"corpus": str(args.corpus), **result}, args.out)
        return
    emit({"throughput": throughput(args.docs, args.sections, args.group_files)}, args.out)


if __name__ == "__main__":
    main()
