"""Curation and dataset speed on the sample handbook: synthetic items, grouping, PII, a build.

No vector store and no model server: the handbook is parsed and chunked in process, synthetic
items are stored with same-document distractors, every item is approved, and one dataset
version is built (with and without embedding-based grouping). Near-duplicate grouping is
timed against the all-pairs comparison it replaced, in the same run, on the same questions.

    .venv/bin/python -m benchmarks.bench_curation [--paraphrases 2000] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import HANDBOOK, QA_FILE, emit
from knowledge.answering.extractive import terms
from knowledge.documents.chunking import chunk_document, make_token_counter
from knowledge.documents.parsing import parse_document
from knowledge.retrieval import Passage
from knowledge.synthetic_questions import synthesize
from pipelines.curation.dedupe import DEFAULT_JACCARD, group_near_duplicates, jaccard
from pipelines.curation.pii import scrub


def handbook_passages(tokenizer: Any) -> list[Passage]:
    count = make_token_counter(tokenizer)
    out = []
    for path in sorted(HANDBOOK.iterdir()):
        doc = parse_document(path.read_bytes(), path.name)
        for c in chunk_document(doc, count_tokens=count, chunk_tokens=128, overlap_tokens=18):
            out.append(
                Passage(
                    c.text, doc.title, " > ".join(c.heading_path), path.as_uri(), path.stem,
                    1, c.index, 1.0, None, None, None, False,
                )
            )  # fmt: skip
    return out


def all_pairs_groups(questions: list[str]) -> int:
    """The baseline: Jaccard of every pair (what dedupe did before prefix filtering)."""
    stems = [terms(q) for q in questions]
    parent = list(range(len(stems)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(stems)):
        for j in range(i + 1, len(stems)):
            if jaccard(stems[i], stems[j]) >= DEFAULT_JACCARD:
                parent[max(find(i), find(j))] = min(find(i), find(j))
    return len({find(i) for i in range(len(stems))})


def paraphrases(n: int) -> list[str]:
    rng = random.Random(0)
    base = [json.loads(line)["question"] for line in QA_FILE.read_text().splitlines()]
    extra = ["please", "quickly", "here", "exactly", "today", "again", "also"]
    return [f"{rng.choice(base)} {' '.join(rng.sample(extra, 2))}" for _ in range(n)]


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paraphrases", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from knowledge.db import curation
    from knowledge.db.document_models import Document
    from knowledge.services import Services
    from knowledge.settings import Settings
    from pipelines.datasets import DatasetOptions, build_dataset

    result: dict[str, Any] = {}
    questions = paraphrases(args.paraphrases)
    groups, fast_s = timed(group_near_duplicates, questions)
    baseline, slow_s = timed(all_pairs_groups, questions)
    result["grouping"] = {
        "questions": len(questions),
        "all_pairs_s": slow_s,
        "prefix_filter_s": fast_s,
        "same_groups": baseline == len(set(groups)),
        "groups": len(set(groups)),
    }
    texts = [
        f"{q} mail me at jo{i}@example.com or +44 20 7946 {i:04d}" for i, q in enumerate(questions)
    ]
    _, scrub_s = timed(lambda: [scrub(t, names=["Priya Shah"]) for t in texts])
    result["pii"] = {"texts": len(texts), "seconds": scrub_s, "per_s": round(len(texts) / scrub_s)}

    with tempfile.TemporaryDirectory() as data:
        os.environ["HELPBOT_DATA_DIR"] = data
        services = Services.from_settings(Settings())
        passages = handbook_passages(services.embedder.tokenizer)
        items, synth_s = timed(synthesize, passages)
        result["synthesize"] = {"passages": len(passages), "items": len(items), "seconds": synth_s}
        by_doc: dict[str, list[Passage]] = {}
        for p in passages:
            by_doc.setdefault(p.document_id, []).append(p)
        rows: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            same = [
                p for p in by_doc.get(item.document_id, []) if p.chunk_index != item.chunk_index
            ]
            source = [
                p
                for p in passages
                if (p.document_id, p.chunk_index) == (item.document_id, item.chunk_index)
            ]
            chosen = (source + same[:5]) if item.answerable else passages[:3]
            rows[item.question] = [_snapshot(p) for p in chosen]
        with services.db.session() as s:
            for doc_id in by_doc:
                s.add(Document(id=doc_id, source_uri=doc_id, title=doc_id, audiences=["everyone"],
                               status="active", live_version=1))  # fmt: skip
            s.flush()
            curation.add_synthetic(s, items, actor="bench", passages_of=rows)
            for it in curation.list_items(s, limit=100_000):
                curation.transition(s, it.id, "approved", actor="bench")
        for embeddings in (False, True):
            info, build_s = timed(
                build_dataset, services, built_by="bench",
                options=DatasetOptions(use_embeddings=embeddings, seed=int(embeddings)),
            )  # fmt: skip
            result[f"build_embeddings_{str(embeddings).lower()}"] = {
                "seconds": build_s,
                "counts": {k: info.counts[k] for k in ("train", "validation", "test")},
                "by_variant": info.counts["by_variant"],
            }
        services.close()
    emit(result, args.out)


def _snapshot(p: Passage) -> dict[str, Any]:
    return {
        "text": p.text, "title": p.title, "section": p.section, "source_uri": p.source_uri,
        "document_id": p.document_id, "version": p.version, "chunk_index": p.chunk_index,
    }  # fmt: skip


if __name__ == "__main__":
    main()
