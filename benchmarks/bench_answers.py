"""Answer quality and latency on the sample QA, per backend, plus follow-up rewriting compared.

    .venv/bin/python -m benchmarks.bench_answers                          # extractive vs base, CPU
    .venv/bin/python -m benchmarks.bench_answers --backend extractive --backend base \
        --backend adapter:data/adapters/v3 --device cuda --out /tmp/answers.json

Ingests the sample handbook into a throw-away data directory (or uses --data-dir), answers
every question of the QA file with each backend (the engine `helpbot eval` runs, with the
calibrated abstention threshold unless --abstain-below says otherwise), then compares the
follow-up rewriting approaches (none, rules, model) on followup_qa.jsonl: recall@k of the
standalone question's retrieval and key-fact accuracy of the extractive answer to it.
Prints tables and a JSON result (machine, load, device, figures).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.calibrate_abstention import ingested_services
from benchmarks.common import QA_FILE, REPO, emit
from knowledge.answering import engine_calibration
from knowledge.answering.abstention import DEFAULT_ABSTAIN_BELOW
from knowledge.answering.answer_engine import AnswerEngine
from knowledge.answering.answer_quality import answer_scores, evaluate_answers, history_of, judge
from knowledge.answering.answer_types import Asker
from knowledge.answering.backends import build_generators, engine_options, parse_backend
from knowledge.answering.rewrite import rewrite_rules, rewrite_with_model
from knowledge.generation.base import Generator
from knowledge.qa_harness import QAItem, load_qa, recall_at
from knowledge.services import Services

FOLLOWUP_FILE = REPO / "knowledge" / "sample" / "followup_qa.jsonl"
COLUMNS = [
    ("key_fact_accuracy", "key facts"),
    ("abstention_precision", "abst. P"),
    ("abstention_recall", "abst. R"),
    ("grounding_failure_rate", "grounding fail"),
    ("citation_accuracy", "citations"),
    ("first_token_p50_s", "TTFT p50 s"),
    ("first_token_p95_s", "TTFT p95 s"),
    ("latency_p50_s", "total p50 s"),
    ("latency_p95_s", "total p95 s"),
    ("median_words", "words"),
]


def machine(device: str) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
        "device": device,
    }
    if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()):
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def answers_section(
    svc: Services, items: list[QAItem], generators: dict[str, Generator | None], threshold: float
) -> dict[str, Any]:
    options = engine_options(svc.settings, abstain_below=threshold)
    calibration = engine_calibration(svc)  # the knowledge base's own rule, when current
    engines = {
        name: AnswerEngine(svc.retriever, g, options, calibration=calibration)
        for name, g in generators.items()
    }
    report = evaluate_answers(items, engines)
    return {"by_backend": report["answers_by_backend"], "per_question": report["per_question"]}


def followup_section(
    svc: Services, items: list[QAItem], model: Generator | None, threshold: float
) -> dict[str, Any]:
    """Rewrite each follow-up three ways, then retrieve and answer extractively."""
    options = engine_options(svc.settings, abstain_below=threshold)
    extractive = AnswerEngine(svc.retriever, None, options)
    approaches: dict[str, Any] = {
        "none": lambda item: item.question,
        "rules": lambda item: rewrite_rules(item.question, history_of(item)),
    }
    if model is not None:
        approaches["model"] = lambda item: rewrite_with_model(
            item.question, history_of(item), model
        )
    out: dict[str, Any] = {}
    for name, rewrite in approaches.items():
        rows: list[tuple[QAItem, Any]] = []
        recalls: dict[int, list[float]] = {1: [], 5: []}
        seconds: list[float] = []
        examples: dict[str, Any] = {}
        for item in items:
            started = time.perf_counter()
            standalone = rewrite(item)
            seconds.append(time.perf_counter() - started)
            passages = svc.retriever.retrieve(standalone, audiences=item.audiences)
            sources = [p.source_name for p in passages]
            for k in recalls:
                recalls[k].append(recall_at(sources, item.expected_sources, k))
            answer = extractive.answer(standalone, Asker("bench", item.audiences))
            rows.append((item, answer))
            examples[item.id] = {
                "standalone": standalone,
                "passed": judge(item, answer).passed,
                # The model's rewrite was unusable when the rules' one came back instead.
                "own_rewrite": standalone != rewrite_rules(item.question, history_of(item)),
            }
        scores = answer_scores(rows)
        out[name] = {
            "recall@1": round(sum(recalls[1]) / len(items), 4),
            "recall@5": round(sum(recalls[5]) / len(items), 4),
            "key_fact_accuracy": scores["key_fact_accuracy"],
            "rewrite_p50_s": round(sorted(seconds)[len(seconds) // 2], 3),
            "own_rewrites": sum(e["own_rewrite"] for e in examples.values()),
            "questions": examples,
        }
    return out


def print_tables(result: dict[str, Any]) -> None:
    if result.get("answers"):
        threshold = result["abstain_below"]
        print(
            f"\nAnswers on {result['qa_file']} (abstain below cosine {threshold}, or below "
            f"{result['term_check_below']} with term coverage under {result['min_term_coverage']})"
        )
        print(" | ".join(["backend"] + [label for _, label in COLUMNS]))
        for name, figures in result["answers"]["by_backend"].items():
            cells = [_cell(figures[key]) for key, _ in COLUMNS]
            print(" | ".join([name, *cells]))
    if result.get("followup"):
        print("\nFollow-up rewriting (extractive answers to the rewritten question)")
        print("approach | recall@1 | recall@5 | key facts | rewrite p50 s | own rewrites")
        for name, figures in result["followup"].items():
            print(
                f"{name} | {figures['recall@1']:.3f} | {figures['recall@5']:.3f} | "
                f"{_cell(figures['key_fact_accuracy'])} | {figures['rewrite_p50_s']:.3f} | "
                f"{figures['own_rewrites']}/{len(figures['questions'])}"
            )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", help="repeatable; default extractive, base")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (local models)")
    parser.add_argument("--qa", type=Path, default=QA_FILE)
    parser.add_argument("--followup", type=Path, default=FOLLOWUP_FILE)
    parser.add_argument("--data-dir", type=Path, default=None, help="an ingested data dir")
    parser.add_argument("--abstain-below", type=float, default=DEFAULT_ABSTAIN_BELOW)
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--only", choices=("qa", "followup"), default=None, help="one part only")
    args = parser.parse_args()

    svc = ingested_services(args.data_dir)
    svc.settings.generation_device = args.device
    specs = [parse_backend(s) for s in (args.backend or ["extractive", "base"])]
    generators = build_generators(svc.settings, specs)
    items = load_qa(args.qa)[: args.limit]
    result: dict[str, Any] = {
        "qa_file": str(args.qa.relative_to(REPO) if args.qa.is_relative_to(REPO) else args.qa),
        "abstain_below": args.abstain_below,
        "term_check_below": svc.settings.abstain_term_check_below,
        "min_term_coverage": svc.settings.abstain_min_term_coverage,
        "machine": machine(args.device),
    }
    started = time.perf_counter()
    if args.only != "followup":
        result["answers"] = answers_section(svc, items, generators, args.abstain_below)
    model = next((g for g in generators.values() if g is not None), None)
    if args.only != "qa" and args.followup.exists():
        followups = load_qa(args.followup)[: args.limit]
        result["followup"] = followup_section(svc, followups, model, args.abstain_below)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_average_after"] = os.getloadavg()
    emit(result, args.out)
    print_tables(result)
    svc.close()


if __name__ == "__main__":
    main()
