"""Re-index cost follows the change, not the corpus; and how soon an edited policy is served.

    .venv/bin/python -m benchmarks.bench_reindex                 # 1,000 docs, 1% changed
    .venv/bin/python -m benchmarks.bench_reindex --rebuild --out benchmarks/results/reindex.json

One process, one corpus of synthetic Markdown policies (2 short sections each, ~2 chunks),
the shipped MiniLM embedder and the embedded store:

1. full ingest: the first re-index run of a watched folder (every file is new);
2. a re-index run after 1% of the files changed (the scheduled check: size/mtime first);
   target: at most 5% of (1);
3. the same with `deep` (every file hashed: what `helpbot reindex` without --stale does);
4. change -> served: a file is edited with a new fact, `reindex --stale` runs, and the clock
   stops when retrieval returns the new fact and not the old one. With the default schedule
   the wait for the next run adds U(0, interval): mean interval/2, worst the whole interval;
5. optionally (--rebuild) `reindex --full`: every document into a new collection, then swap.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import emit, markdown_document, vocabulary


def write_corpus(folder: Path, docs: int, sections: int, seed: int = 11) -> list[Path]:
    rng = random.Random(seed)
    words = vocabulary()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(docs):
        path = folder / f"policy-{i:05d}.md"
        path.write_text(markdown_document(rng, words, i, sections), encoding="utf-8")
        paths.append(path)
    return paths


def edit(path: Path, fact: str) -> None:
    """Append a distinctive sentence to a policy's last section (a real content change)."""
    path.write_text(path.read_text(encoding="utf-8") + f"\nThe approval code is {fact}.\n")


def timed_reindex(services: Any, **options: Any) -> tuple[Any, float]:
    from pipelines.reindex import reindex

    start = time.perf_counter()
    report = reindex(services, **options)
    return report, time.perf_counter() - start


def run(docs: int, sections: int, changed_share: float, with_rebuild: bool) -> dict[str, Any]:
    from knowledge.db import watched_sources
    from knowledge.services import Services
    from knowledge.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "policies"
        paths = write_corpus(folder, docs, sections)
        settings = Settings(data_dir=Path(tmp) / "data")
        services = Services.from_settings(settings)
        services.embedder.encode(["warm-up"] * 8)  # model load outside every timing
        services.store  # noqa: B018 - opened once, as in a running process
        with services.db.session() as session:
            watched_sources.add_source(
                session, location=str(folder), kind="folder", added_by="bench"
            )

        full, full_s = timed_reindex(services)
        chunks = full.counts()["chunks"]
        assert full.counts()["new"] == docs, full.counts()

        changed = max(1, round(docs * changed_share))
        rng = random.Random(3)
        for i, path in enumerate(rng.sample(paths, changed)):
            edit(path, f"RX-{i:04d}")
        fast, fast_s = timed_reindex(services)
        assert fast.counts()["changed"] == changed, fast.counts()

        deep, deep_s = timed_reindex(services, deep=True)
        assert deep.counts()["changed"] == 0, deep.counts()

        target = paths[0]
        latency = change_to_served(services, target)
        result: dict[str, Any] = {
            "docs": docs,
            "chunks": chunks,
            "changed_docs": changed,
            "full_ingest_s": round(full_s, 2),
            "reindex_changed_s": round(fast_s, 3),
            "reindex_share_of_full": round(fast_s / full_s, 4),
            "target_share": 0.05,
            "reindex_deep_no_change_s": round(deep_s, 3),
            "reembedded_chunks": fast.counts()["chunks"],
            "change_to_served": latency
            | schedule_latency(settings.reindex_interval_minutes, latency["reindex_stale_s"]),
        }
        if with_rebuild:
            rebuild, rebuild_s = timed_reindex(services, full=True)
            assert rebuild.rebuild is not None
            result["rebuild_full_s"] = round(rebuild_s, 2)
            result["rebuild_documents"] = rebuild.rebuild.documents
        services.close()
        return result


def change_to_served(services: Any, path: Path) -> dict[str, float]:
    """Edit one file, run the scheduled check by hand, ask until the new fact is served."""
    from pipelines.reindex import reindex

    question = "What is the quokkaboard access code?"
    old, new = "ZZ-1111", "ZZ-2222"
    path.write_text(
        path.read_text(encoding="utf-8") + f"\nThe quokkaboard access code is {old}.\n",
        encoding="utf-8",
    )
    reindex(services)
    start = time.perf_counter()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    reindex(services)
    run_s = time.perf_counter() - start
    passages = services.retriever.retrieve(question, k=3)
    served_s = time.perf_counter() - start
    text = " ".join(p.text for p in passages)
    assert new in text and old not in text, text[:300]
    return {"reindex_stale_s": round(run_s, 3), "served_after_s": round(served_s, 3)}


def schedule_latency(interval_minutes: int, run_s: float) -> dict[str, float]:
    """The scheduled path: the edit waits for the next interval run, then the same run."""
    interval_s = interval_minutes * 60
    return {
        "schedule_interval_s": interval_s,
        "schedule_mean_s": round(interval_s / 2 + run_s, 1),
        "schedule_worst_s": round(interval_s + run_s, 1),
    }


def table(result: dict[str, Any]) -> str:
    served = result["change_to_served"]
    rows = [
        ("corpus", f"{result['docs']} docs, {result['chunks']} chunks"),
        ("full ingest (first run)", f"{result['full_ingest_s']:.2f} s"),
        (
            f"re-index, {result['changed_docs']} docs changed",
            f"{result['reindex_changed_s']:.3f} s = {result['reindex_share_of_full']:.1%} of full "
            f"(target <= 5%)",
        ),
        ("re-index --deep, nothing changed", f"{result['reindex_deep_no_change_s']:.3f} s"),
        ("change -> served, reindex --stale", f"{served['served_after_s']:.2f} s"),
        (
            "change -> served, default schedule",
            f"mean {served['schedule_mean_s']:.0f} s, worst {served['schedule_worst_s']:.0f} s",
        ),
    ]
    if "rebuild_full_s" in result:
        rows.append(("reindex --full (rebuild + swap)", f"{result['rebuild_full_s']:.2f} s"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--sections", type=int, default=2)
    parser.add_argument("--changed", type=float, default=0.01, help="share of documents edited")
    parser.add_argument("--rebuild", action="store_true", help="also time reindex --full")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args.docs, args.sections, args.changed, args.rebuild)
    emit({"reindex": result}, args.out)
    print(table(result))


if __name__ == "__main__":
    main()
