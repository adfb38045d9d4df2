"""Calibrate abstention (best cosine, then the term check) on the QA file; score a holdout.

    .venv/bin/python -m benchmarks.calibrate_abstention [--qa FILE] [--holdout FILE]
        [--data-dir DIR] [--json OUT]

Ingests the sample handbook into a throw-away data directory (unless --data-dir names an
ingested one) and retrieves every question as the engine does (hybrid, k=search_k, the asker's
audiences). For several false-abstention budgets it prints the cosine threshold `calibrate()`
picks, then the term check `calibrate_rule()` adds on top of the configured cosine cut, each
with its precision, recall and false-abstention rate. Only --qa is tuned on: the holdout
questions (abstention_holdout.jsonl) are scored with the rules picked, never used to pick them.
Also shows why the fused score cannot be used.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.answering.abstention import (
    AbstentionRule,
    Signals,
    calibrate,
    calibrate_rule,
    evaluate_rule,
    signals,
)
from knowledge.ingest import SourceFile, walk
from knowledge.qa_harness import load_qa
from knowledge.services import Services
from knowledge.settings import Settings

REPO = Path(__file__).resolve().parents[1]
HANDBOOK = REPO / "knowledge" / "sample" / "handbook"
QA_FILE = REPO / "knowledge" / "sample" / "handbook_qa.jsonl"
HOLDOUT_FILE = REPO / "knowledge" / "sample" / "abstention_holdout.jsonl"
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


class Scored:
    """The signals of every question of one QA file, split answerable / unanswerable."""

    def __init__(self, svc: Services, qa_file: Path) -> None:
        self.answerable: list[Signals] = []
        self.unanswerable: list[Signals] = []
        self.rows: list[dict[str, Any]] = []
        for item in load_qa(qa_file):
            passages = svc.retriever.retrieve(item.question, audiences=item.audiences)
            found = signals(item.question, passages)
            (self.answerable if item.answerable else self.unanswerable).append(found)
            fused = max((p.score for p in passages), default=0.0)
            self.rows.append(
                {
                    "id": item.id,
                    "kind": item.kind,
                    "cosine": round(found.cosine, 4),
                    "coverage": round(found.coverage, 4),
                    "fused": round(fused, 4),
                }
            )

    def cosines(self, answerable: bool) -> list[float]:
        return [s.cosine for s in (self.answerable if answerable else self.unanswerable)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=QA_FILE, help="the questions to tune on")
    parser.add_argument("--holdout", type=Path, default=HOLDOUT_FILE, help="only scored")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    svc = ingested_services(args.data_dir)
    settings = svc.settings
    tuned = Scored(svc, args.qa)
    holdout = Scored(svc, args.holdout) if args.holdout.exists() else None
    svc.close()

    answerable, unanswerable = tuned.cosines(True), tuned.cosines(False)
    fused_answerable = [r["fused"] for r in tuned.rows if r["kind"] != "unanswerable"]
    fused_unanswerable = [r["fused"] for r in tuned.rows if r["kind"] == "unanswerable"]
    print(f"{args.qa.name}: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
    print(
        f"best cosine  answerable min/median {min(answerable):.3f}/{_median(answerable):.3f}"
        f"  unanswerable median/max {_median(unanswerable):.3f}/{max(unanswerable):.3f}"
    )
    print(
        f"best fused   answerable median {_median(fused_answerable):.3f}"
        f"  unanswerable median {_median(fused_unanswerable):.3f}  (min-max scaled: ~1 for all)"
    )

    print("\nCosine only: abstain below the threshold")
    header = ("max false abstain", "threshold", "precision", "recall", "false")
    print(f"{header[0]:>18} {header[1]:>10} {header[2]:>10} {header[3]:>8} {header[4]:>7}")
    cosine_only = []
    for budget in BUDGETS:
        result = calibrate(answerable, unanswerable, max_false_abstain=budget)
        cosine_only.append({"max_false_abstain": budget, **result.__dict__})
        print(
            f"{budget:>18.2f} {result.threshold:>10.3f} {result.precision:>10.3f} "
            f"{result.recall:>8.3f} {result.false_abstain_rate:>7.3f}"
        )

    cut = settings.abstain_below
    print(f"\nCosine below {cut} (Settings.abstain_below), or the term check (calibrated)")
    rules: list[tuple[str, AbstentionRule]] = [("cosine only", AbstentionRule(cut, 0.0, 0.0))]
    for budget in BUDGETS:
        rule = calibrate_rule(
            tuned.answerable, tuned.unanswerable, cut, max_false_abstain=budget
        ).rule
        rules.append((f"term check, budget {budget:.2f}", rule))
    configured = AbstentionRule(
        cut, settings.abstain_term_check_below, settings.abstain_min_term_coverage
    )
    rules.append(("configured (Settings)", configured))
    files = [(args.qa.name, tuned)] + ([(args.holdout.name, holdout)] if holdout else [])
    combined = _print_rules(rules, files)

    if args.json:
        figures = {
            "cosine_only": cosine_only,
            "combined": combined,
            "questions": {name: scored.rows for name, scored in files},
        }
        args.json.write_text(json.dumps(figures, indent=2))


def _print_rules(
    rules: list[tuple[str, AbstentionRule]], files: list[tuple[str, Scored]]
) -> list[dict[str, Any]]:
    """One row per rule and file: the rule's cuts and how it sorts the file's questions."""
    print(
        f"{'rule':<28} {'check below':>11} {'min cover':>9}  {'file':<26} "
        f"{'precision':>9} {'recall':>7} {'false':>6}"
    )
    out = []
    for label, rule in rules:
        for name, scored in files:
            result = evaluate_rule(scored.answerable, scored.unanswerable, rule)
            out.append({"rule": label, "file": name, **rule.__dict__, **_figures(result)})
            print(
                f"{label:<28} {rule.term_check_below:>11.3f} {rule.min_term_coverage:>9.3f}  "
                f"{name:<26} {result.precision:>9.3f} {result.recall:>7.3f} "
                f"{result.false_abstain_rate:>6.3f}"
            )
    return out


def _figures(result: Any) -> dict[str, float]:
    return {
        "precision": result.precision,
        "recall": result.recall,
        "false_abstain_rate": result.false_abstain_rate,
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


if __name__ == "__main__":
    main()
