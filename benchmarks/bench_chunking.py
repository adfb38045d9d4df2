"""Chunk-size benchmark: parse+chunk speed and dense retrieval quality on the sample handbook.

    .venv/bin/python -m benchmarks.bench_chunking            # table on stdout
    .venv/bin/python -m benchmarks.bench_chunking --json benchmarks/results/chunking.json

For each (chunk_tokens, overlap) setting it chunks every handbook file, embeds the
contextual text of each chunk with the shipped MiniLM model and asks every answerable
question of knowledge/sample/handbook_qa.jsonl. It reports:

- source@k: a top-k chunk comes from an expected source file;
- facts@k:  every required fact (any of its spellings) appears in the top-k chunks together,
  i.e. the passages handed to the generator could support a correct answer;
- facts@budget: the same with as many top chunks as fit in a fixed prompt budget (480
  tokens), the fair comparison between sizes (bigger chunks trivially win facts@k).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import HANDBOOK, QA_FILE
from knowledge.documents.chunking import chunk_document, contextual_text, make_token_counter
from knowledge.documents.parsed import ParsedDocument
from knowledge.documents.parsing import parse_document

SETTINGS = [(96, 16), (128, 20), (160, 24), (160, 0), (200, 32), (240, 32)]
KS = (3, 5)
PROMPT_BUDGET = 480


@dataclass
class Result:
    chunk_tokens: int
    overlap_tokens: int
    chunks: int
    median_tokens: float
    max_embedded_tokens: int
    chunk_seconds: float
    source_at: dict[int, float]
    facts_at: dict[int, float]
    facts_at_budget: float


def load_questions() -> list[dict[str, Any]]:
    lines = QA_FILE.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    return [q for q in questions if q.get("expected_sources") and q.get("answer_must_contain")]


def facts_present(facts: list[Any], text: str) -> bool:
    text = text.casefold()
    for fact in facts:
        spellings = fact if isinstance(fact, list) else [fact]
        if not any(s.casefold() in text for s in spellings):
            return False
    return True


def run_setting(
    docs: dict[str, ParsedDocument],
    embedder: Any,
    count_tokens: Any,
    questions: list[dict[str, Any]],
    question_vectors: np.ndarray,
    size: int,
    overlap: int,
) -> Result:
    started = time.perf_counter()
    rows: list[tuple[str, str, str]] = []  # source file, chunk text, embedded text
    for name, doc in docs.items():
        for chunk in chunk_document(
            doc, count_tokens=count_tokens, chunk_tokens=size, overlap_tokens=overlap
        ):
            rows.append(
                (name, chunk.text, contextual_text(doc.title, chunk.heading_path, chunk.text))
            )
    chunk_seconds = time.perf_counter() - started
    vectors = embedder.encode([embedded for _, _, embedded in rows])
    scores = question_vectors @ vectors.T
    tokens = [count_tokens(text) for _, text, _ in rows]
    source_hits = dict.fromkeys(KS, 0)
    fact_hits = dict.fromkeys(KS, 0)
    budget_hits = 0
    for qi, question in enumerate(questions):
        ranked = np.argsort(-scores[qi])
        used, passages = 0, []
        for i in ranked:
            if used + tokens[i] > PROMPT_BUDGET:
                break
            used += tokens[i]
            passages.append(rows[i][1])
        budget_hits += facts_present(question["answer_must_contain"], "\n".join(passages))
        for k in KS:
            top = [rows[i] for i in ranked[:k]]
            source_hits[k] += any(src in question["expected_sources"] for src, _, _ in top)
            fact_hits[k] += facts_present(
                question["answer_must_contain"], "\n".join(t for _, t, _ in top)
            )
    return Result(
        chunk_tokens=size,
        overlap_tokens=overlap,
        chunks=len(rows),
        median_tokens=statistics.median(tokens),
        max_embedded_tokens=max(count_tokens(e) for _, _, e in rows) + 2,
        chunk_seconds=round(chunk_seconds, 3),
        source_at={k: round(v / len(questions), 3) for k, v in source_hits.items()},
        facts_at={k: round(v / len(questions), 3) for k, v in fact_hits.items()},
        facts_at_budget=round(budget_hits / len(questions), 3),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    from knowledge.embeddings import Embedder

    embedder = Embedder()
    count_tokens = make_token_counter(embedder.tokenizer)
    started = time.perf_counter()
    files = sorted(p for p in HANDBOOK.iterdir() if p.is_file())
    docs = {p.name: parse_document(p.read_bytes(), p.name) for p in files}
    parse_seconds = time.perf_counter() - started
    questions = load_questions()
    question_vectors = embedder.encode([q["question"] for q in questions])
    results = [
        run_setting(docs, embedder, count_tokens, questions, question_vectors, size, overlap)
        for size, overlap in SETTINGS
    ]
    total_kb = sum(p.stat().st_size for p in files) / 1024
    print(f"parsed {len(files)} files ({total_kb:.0f} KiB) in {parse_seconds:.2f} s; "
          f"{len(questions)} answerable questions")  # fmt: skip
    print("| chunk | overlap | chunks | median tok | max embedded | chunk s | "
          + " | ".join(f"source@{k}" for k in KS) + " | "
          + " | ".join(f"facts@{k}" for k in KS) + f" | facts@{PROMPT_BUDGET}tok |")  # fmt: skip
    print("|" + "---|" * (7 + 2 * len(KS)))
    for r in results:
        print(f"| {r.chunk_tokens} | {r.overlap_tokens} | {r.chunks} | {r.median_tokens} | "
              f"{r.max_embedded_tokens} | {r.chunk_seconds} | "
              + " | ".join(f"{r.source_at[k]:.2f}" for k in KS) + " | "
              + " | ".join(f"{r.facts_at[k]:.2f}" for k in KS)
              + f" | {r.facts_at_budget:.2f} |")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
