"""The learning loop on real data: a month of use -> curation -> dataset -> LoRA -> gate.

    .venv/bin/python -m benchmarks.bench_learning_loop --out benchmarks/results/loop.json
    .venv/bin/python -m benchmarks.bench_learning_loop --days 5 --max-steps 4 --skip-18f  # smoke

1. A month of use on the sample handbook (benchmarks/loop_simulation.py): employees ask its
   questions and casual rewordings through the live answerer, react by correctness.
2. An admin curates: approves the thumbs-up answers, corrects the thumbs-down ones (quoting the
   passage sentence that holds the facts, or the abstention reply for questions the handbook
   does not cover), rejects what has no grounded answer, and approves the synthetic items
   `helpbot curate synth` generated from the knowledge base.
3. The worker runs the real jobs, in order, exactly as the console queues them: dataset build,
   LoRA training of the shipped SmolLM2-135M (the default "fast" profile) on this CPU, the
   evaluation of the candidate against the live answerer and the base model with the gate.
4. On the 18F handbook (../shared/corpora/18f-handbook, never trained on): extractive vs base vs
   base + the new adapter, on the same questions, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.common import REPO, emit, peak_rss_mb
from benchmarks.loop_simulation import admin_correction, simulate_month
from knowledge.answering.abstention import abstention_text
from knowledge.answering.answer_engine import AnswerEngine
from knowledge.answering.answer_quality import evaluate_answers
from knowledge.answering.backends import build_generators, engine_options, parse_backend
from knowledge.db import curation, registry
from knowledge.db import jobs as job_queue
from knowledge.ingest import SourceFile, walk
from knowledge.qa_harness import QAItem, load_qa
from knowledge.services import Services
from knowledge.settings import Settings

SAMPLE = REPO / "knowledge" / "sample"
CORPUS_18F = REPO.parent / "shared" / "corpora" / "18f-handbook"
ADMIN = "bench-admin"
FIGURES = (
    "key_fact_accuracy",
    "abstention_precision",
    "abstention_recall",
    "grounding_failure_rate",
    "citation_accuracy",
    "latency_p50_s",
    "latency_p95_s",
)


def ingest(data_dir: Path, folder: Path) -> Services:
    services = Services.from_settings(Settings(data_dir=data_dir))
    results = list(services.ingestor().ingest(SourceFile.from_path(p) for p in walk([folder])))
    failed = [r.name for r in results if r.outcome == "failed"]
    if failed:
        raise SystemExit(f"could not ingest {failed}")
    return services


def curate(services: Services, synth_limit: int, question_of: dict[str, QAItem]) -> dict[str, Any]:
    """The admin's month-end review, through the same functions as the CLI and console."""
    from pipelines.curation.synth import run_synth

    reply = abstention_text(services.settings.help_contact)
    decided = {"approved": 0, "corrected": 0, "rejected": 0, "left_new": 0}
    with services.db.session() as session:
        curation.sync_exchanges(session)
    synth = run_synth(services, actor=ADMIN, seed=0, limit=synth_limit)
    with services.db.session() as session:
        for item in curation.list_items(session, state="new", limit=100_000):
            if item.source == "synthetic" or item.label == "positive":
                curation.transition(session, item.id, "approved", actor=ADMIN)
                decided["approved"] += 1
            elif item.label == "negative":
                qa = question_of.get(item.question)
                text = admin_correction(qa, item.passages, reply) if qa else None
                if text is None:
                    curation.transition(
                        session,
                        item.id,
                        "rejected",
                        actor=ADMIN,
                        reason="the right answer is not in what the bot retrieved",
                    )
                    decided["rejected"] += 1
                else:
                    curation.correct(session, item.id, text, actor=ADMIN)
                    decided["corrected"] += 1
            else:
                decided["left_new"] += 1
    return {"decisions": decided, "synthetic": {"created": synth.created, "by_kind": synth.by_kind}}


def run_jobs(
    services: Services, *, max_steps: int, epochs: int, qa_files: list[str]
) -> dict[str, Any]:
    """Queue a dataset build that chains training and evaluation; one worker runs all three."""
    from pipelines.worker.process import build_worker

    overrides: dict[str, Any] = {"max_steps": max_steps} if max_steps > 0 else {}
    if epochs > 0:
        overrides["epochs"] = epochs
    job_id = job_queue.enqueue(
        services.db,
        "dataset_build",
        {
            # The admin has turned training on Slack conversations on for this workspace.
            "options": {"include_slack": True},
            "then_train": {"overrides": overrides, "qa_files": qa_files},
        },
        created_by=ADMIN,
    )
    worker = build_worker(services, worker_id="bench-worker")
    timings: dict[str, float] = {}
    while True:
        started = time.perf_counter()
        if not worker.run_once():
            break
        timings[f"job{len(timings) + 1}"] = round(time.perf_counter() - started, 1)
    rows = job_queue.list_jobs(services.db, limit=10)
    jobs = {
        row.kind: {"state": row.state, "error": row.error, "result": row.result}
        for row in sorted(rows, key=lambda r: r.id)
        if row.id >= job_id
    }
    return {"jobs": jobs, "seconds": timings}


def loss_curve(services: Services) -> list[dict[str, Any]]:
    """The last training job's per-step figures, as the worker stored them for live curves."""
    trains = [row for row in job_queue.list_jobs(services.db, limit=10) if row.kind == "train"]
    if not trains:
        return []
    points = job_queue.metrics_for(services.db, max(trains, key=lambda row: row.id).id)
    keys = ("epoch", "loss", "eval_loss", "lr", "tokens_per_s", "step_time_s")
    return [
        {"step": p.step} | {k: p.values[k] for k in keys if p.values.get(k) is not None}
        for p in points
    ]


def curve_svg(curve: list[dict[str, Any]], *, window: int = 8) -> str:
    """The training loss by step (light), its running mean over `window` steps (dark) and the
    validation loss (red dots) as a small SVG line chart; no plotting library needed."""
    losses = [(c["step"], c["loss"]) for c in curve if "loss" in c]
    evals = [(c["step"], c["eval_loss"]) for c in curve if "eval_loss" in c]
    if not losses:
        return ""
    width, height, left, bottom, pad = 640, 320, 48, 36, 12
    last = max(step for step, _ in losses + evals)
    top = max(value for _, value in losses + evals) * 1.05

    def xy(step: float, value: float) -> str:
        x = left + (width - left - pad) * step / max(last, 1)
        y = height - bottom - (height - bottom - pad) * value / top
        return f"{x:.1f},{y:.1f}"

    mean = [
        (step, sum(v for _, v in losses[max(0, i - window + 1) : i + 1]) / min(i + 1, window))
        for i, (step, _) in enumerate(losses)
    ]
    ticks = [round(top * i / 4, 2) for i in range(5)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        *(
            f'<text x="{left - 6}" y="{xy(0, t).split(",")[1]}" text-anchor="end">{t}</text>'
            for t in ticks
        ),
        f'<polyline fill="none" stroke="#9ecae1" points="{" ".join(xy(*p) for p in losses)}"/>',
        f'<polyline fill="none" stroke="#08519c" stroke-width="2" '
        f'points="{" ".join(xy(*p) for p in mean)}"/>',
        *(
            f'<circle cx="{xy(*p).split(",")[0]}" cy="{xy(*p).split(",")[1]}" r="4" '
            'fill="#cb181d"/>'
            for p in evals
        ),
        f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">optimizer step '
        f"(last {last}); light: train loss, dark: {window}-step mean, red: validation loss</text>",
        "</svg>",
    ]
    return "\n".join(parts)


def on_18f(adapter: Path | None, data_dir: Path, *, ingested: bool = False) -> dict[str, Any]:
    """Extractive vs base vs base + adapter on the 18F questions (`ingested`: reuse the
    knowledge base already in `data_dir`, which takes half an hour to build on 2 cores)."""
    if ingested:
        services = Services.from_settings(Settings(data_dir=data_dir))
    else:
        services = ingest(data_dir, CORPUS_18F / "pages")
    specs = ["extractive", "base"] + ([f"adapter:{adapter}"] if adapter else [])
    generators = build_generators(services.settings, [parse_backend(s) for s in specs])
    options = engine_options(services.settings)
    engines = {
        name: AnswerEngine(services.retriever, generator, options)
        for name, generator in generators.items()
    }
    items = load_qa(CORPUS_18F / "qa.jsonl")
    result = evaluate_answers(items, engines)
    return {name: _pick(scores) for name, scores in result["answers_by_backend"].items()}


def _pick(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: scores.get(k) for k in FIGURES} | {
        "grounding_pass_rate": (
            None
            if scores.get("grounding_failure_rate") is None
            else round(1 - scores["grounding_failure_rate"], 3)
        ),
        "refused_answerable": scores.get("refusal_rate_answerable"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--synth", type=int, default=160, help="synthetic answerable items")
    parser.add_argument("--max-steps", type=int, default=0, help="cap training steps (0: epochs)")
    parser.add_argument("--epochs", type=int, default=0, help="0: the profile's epochs")
    parser.add_argument("--skip-18f", action="store_true")
    parser.add_argument(
        "--data-18f", type=Path, help="a data dir that already holds the 18F pages, ingested"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="helpbot-loop-"))
    started = time.perf_counter()
    services = ingest(root / "sample", SAMPLE / "handbook")
    pool = load_qa(SAMPLE / "handbook_qa.jsonl") + load_qa(SAMPLE / "abstention_holdout.jsonl")
    question_of = {item.question: item for item in pool}
    live = AnswerEngine(services.retriever, None, engine_options(services.settings))
    happened = simulate_month(services.db, live, pool, days=args.days)
    # The curation item keeps the standalone question: map casual rewordings back too.
    question_of.update({h.question: h.item for h in happened})
    month = {
        "exchanges": len(happened),
        "correct": sum(h.correct for h in happened),
        "thumbs_up": sum(h.vote > 0 for h in happened),
        "thumbs_down": sum(h.vote < 0 for h in happened),
    }
    print(f"month simulated: {month}", flush=True)
    curated = curate(services, args.synth, question_of)
    print(f"curated: {curated}", flush=True)
    registry.ensure_bootstrap(services.db, base_model=services.settings.base_model)
    loop = run_jobs(services, max_steps=args.max_steps, epochs=args.epochs, qa_files=[])
    print(json.dumps(loop, indent=1, default=str)[:4000], flush=True)
    train = loop["jobs"].get("train", {}).get("result") or {}
    adapter = Path(train["adapter_dir"]) if train.get("adapter_dir") else None
    curve = loss_curve(services)
    result: dict[str, Any] = {
        "month": month,
        "curation": curated,
        "loop": loop,
        "peak_rss_mb": peak_rss_mb(),
        "loss_curve": curve,
    }
    if args.out and curve:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_name(f"{args.out.stem}-loss.svg").write_text(curve_svg(curve))
    emit(result, args.out)  # the loop's figures survive even if the 18F part is cut short
    if not args.skip_18f:
        result["18f"] = on_18f(
            adapter, args.data_18f or root / "18f", ingested=args.data_18f is not None
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["load_average"] = os.getloadavg()
    emit(result, args.out)


if __name__ == "__main__":
    main()
