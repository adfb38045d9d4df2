"""Calibrate the abstention threshold: best-passage cosine of answerable vs unanswerable questions.

    .venv/bin/python -m benchmarks.calibrate_abstention [--qa FILE] [--data-dir DIR] [--json OUT]

Ingests the sample handbook into a throw-away data directory (unless --data-dir names an
ingested one), retrieves every question as the engine does (hybrid, k=search_k, the asker's
audiences) and prints, for several false-abstention budgets, the threshold `calibrate()`
picks with its precision and recall. Also shows why the fused score cannot be used.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.answering.abstention import calibrate, retrieval_strength
from knowledge.evaluation import load_qa
from knowledge.ingest import SourceFile, walk
from knowledge.services import Services
from knowledge.settings import Settings

REPO = Path(__file__).resolve().parents[1]
HANDBOOK = REPO / "knowledge" / "sample" / "handbook"
QA_FILE = REPO / "knowledge" / "sample" / "handbook_qa.jsonl"
BUDGETS = (0.0, 0.05, 0.10)


def ingested_services(data_dir: Path | None) -> Services:
    """Services over `data_dir`, or over a fresh temporary one with the sample handbook."""
    if data_dir is not None:
        return Services.from_settings(Settings(data_dir=data_dir))
    svc = Services.from_settings(Settings(data_dir=Path(tempfile.mkdtemp(prefix="helpbot-bench-"))))
    results = list(svc.ingestor().ingest(SourceFile.from_path(p) for p in walk([HANDBOOK])))
    failed = [r.name for r in results if r.outcome == "failed"]
    if failed:
        raise SystemExit(f"could not ingest {failed}")
    return svc


def scores(svc: Services, qa_file: Path) -> tuple[list[float], list[float], list[dict[str, Any]]]:
    """Best cosine and best fused score per question, split answerable / unanswerable."""
    answerable: list[float] = []
    unanswerable: list[float] = []
    rows = []
    for item in load_qa(qa_file):
        passages = svc.retriever.retrieve(item.question, audiences=item.audiences)
        strength = retrieval_strength(passages)
        (answerable if item.answerable else unanswerable).append(strength)
        fused = max((p.score for p in passages), default=0.0)
        rows.append({"id": item.id, "kind": item.kind, "cosine": strength, "fused": fused})
    return answerable, unanswerable, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=QA_FILE)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    svc = ingested_services(args.data_dir)
    answerable, unanswerable, rows = scores(svc, args.qa)
    fused_answerable = [r["fused"] for r in rows if r["kind"] != "unanswerable"]
    fused_unanswerable = [r["fused"] for r in rows if r["kind"] == "unanswerable"]
    print(f"{len(answerable)} answerable, {len(unanswerable)} unanswerable questions")
    print(
        f"best cosine  answerable min/median {min(answerable):.3f}/{_median(answerable):.3f}"
        f"  unanswerable median/max {_median(unanswerable):.3f}/{max(unanswerable):.3f}"
    )
    print(
        f"best fused   answerable median {_median(fused_answerable):.3f}"
        f"  unanswerable median {_median(fused_unanswerable):.3f}  (min-max scaled: ~1 for all)"
    )
    header = ("max false abstain", "threshold", "precision", "recall", "false")
    print(f"{header[0]:>18} {header[1]:>10} {header[2]:>10} {header[3]:>8} {header[4]:>7}")
    results = []
    for budget in BUDGETS:
        result = calibrate(answerable, unanswerable, max_false_abstain=budget)
        results.append({"max_false_abstain": budget, **result.__dict__})
        print(
            f"{budget:>18.2f} {result.threshold:>10.3f} {result.precision:>10.3f} "
            f"{result.recall:>8.3f} {result.false_abstain_rate:>7.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"calibration": results, "questions": rows}, indent=2))
    svc.close()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


if __name__ == "__main__":
    main()
