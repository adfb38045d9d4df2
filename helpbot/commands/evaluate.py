"""`helpbot eval`: retrieval and answer quality on a QA file, for one or more answer backends."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from helpbot.app import app, console, err, progress, services
from knowledge.answering.answer_quality import answerer_context, standalone_question
from knowledge.qa_harness import CONTEXT_BUDGETS, evaluate_retrieval, load_qa
from knowledge.retrieval import Passage
from knowledge.stores.base import SearchMode

ANSWER_COLUMNS = [
    "key_fact_accuracy",
    "refusal_rate_answerable",
    "abstention_precision",
    "abstention_recall",
    "grounding_failure_rate",
    "citation_accuracy",
    "latency_p50_s",
    "latency_p95_s",
    "first_token_p50_s",
    "median_words",
]


@app.command("eval")
def eval_(
    qa_file: Annotated[Path, typer.Argument(help="A QA .jsonl file.", exists=True)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Only the (fast) retrieval figures.")
    ] = False,
    backend: Annotated[
        list[str] | None,
        typer.Option(
            help="Answer backend to evaluate (repeat to compare): extractive, base, local, "
            "openai or adapter:PATH. Default: the configured generator."
        ),
    ] = None,
) -> None:
    """Retrieval quality (hybrid, BM25, vector) and answer quality per backend on a QA file."""
    svc = services()
    items = load_qa(qa_file)
    engines = {} if retrieval_only else _engines(svc, backend or [svc.settings.generator])

    def retrieve(item: Any, mode: SearchMode) -> list[Passage]:
        return svc.retriever.retrieve(
            standalone_question(item), audiences=item.audiences, k=10, mode=mode, min_score=0.0
        )

    with progress() as bar:
        task = bar.add_task("retrieval", total=len(items))
        report = evaluate_retrieval(items, retrieve, on_question=lambda: bar.advance(task))
        if engines:
            engine = next(iter(engines.values()))
            task = bar.add_task("context", total=len(items))
            report["context"] = {
                "budget_chars": engine.options.context_chars,
                **answerer_context(items, engine, on_question=lambda: bar.advance(task)),
            }
            from knowledge.answering.answer_quality import evaluate_answers

            task = bar.add_task("answers", total=len(items) * len(engines))
            answers = evaluate_answers(items, engines, on_answer=lambda: bar.advance(task))
            _merge(report, answers)
            report["abstention"] = _abstention(next(iter(engines.values())))
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    _print_retrieval(report["retrieval"])
    if engines:
        _print_context(report["context"])
        _print_answers(report["answers_by_backend"])
        _print_by_kind(report["answers_by_backend"])
        console.print(f"Abstention: {report['abstention']['description']}", highlight=False)


def _engines(svc: Any, specs: list[str]) -> dict[str, Any]:
    """One answer engine per backend spec; local specs share one loaded base model."""
    from knowledge.answering import engine_calibration
    from knowledge.answering.answer_engine import AnswerEngine
    from knowledge.answering.backends import build_generators, engine_options, parse_backend
    from knowledge.generation.base import AdapterError

    try:
        parsed = [parse_backend(spec) for spec in specs]
        generators = build_generators(svc.settings, parsed)
    except (ValueError, AdapterError) as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    options = engine_options(svc.settings)
    calibration = engine_calibration(svc)
    return {
        name: AnswerEngine(svc.retriever, generator, options, calibration=calibration)
        for name, generator in generators.items()
    }


def _abstention(engine: Any) -> dict[str, Any]:
    """Which abstention rule answered: the knowledge base's own calibration or the fallback."""
    rule = engine.abstention_rule()
    calibration = engine.calibration.current()[1] if engine.calibration else None
    if calibration is not None:
        return {"source": "self-calibrated", "description": calibration.describe(),
                **asdict(calibration)}  # fmt: skip
    return {
        "source": "configured",
        "description": (
            f"configured thresholds (self-calibration off or not current: "
            f"HELPBOT_ABSTAIN_SELF_CALIBRATE=true, then `helpbot calibrate`): "
            f"abstain below cosine {rule.abstain_below}, term check below "
            f"{rule.term_check_below} with coverage under {rule.min_term_coverage}"
        ),
        **asdict(rule),
    }


def _merge(report: dict[str, Any], answers: dict[str, Any]) -> None:
    """Add the answer figures; each question gets its first backend's answer and all of them."""
    report["answers"] = answers["answers"]
    report["answers_by_backend"] = answers["answers_by_backend"]
    first = answers["answers"]["backend"]
    for question in report["questions"]:
        by_backend = answers["per_question"].get(question["id"], {})
        mine = by_backend.get(first, {})
        question.update(
            {
                key: mine.get(key)
                for key in ("answer", "abstained", "citations", "passed", "failures")
            }
        )
        question["by_backend"] = by_backend


def _print_retrieval(retrieval: dict[str, Any]) -> None:
    columns = [
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr",
        "context_recall@1000",
        "context_recall@2000",
    ]
    table = Table("mode", *columns, title="Retrieval")
    for mode, figures in retrieval.items():
        table.add_row(mode, *(f"{figures[c]:.3f}" for c in columns))
    console.print(table)
    kinds = Table("kind", "n", "mode", *columns, title="By kind")
    for mode, figures in retrieval.items():
        for kind, sub in figures["by_kind"].items():
            kinds.add_row(kind, str(sub["questions"]), mode, *(f"{sub[c]:.3f}" for c in columns))
    console.print(kinds)


def _print_context(context: dict[str, Any]) -> None:
    budgets = [f"context_recall@{b}" for b in CONTEXT_BUDGETS]
    table = Table("kind", "n", *budgets, title="The answerer's context (compressed, per budget)")
    rows = [("all", context), *context["by_kind"].items()]
    for kind, figures in rows:
        table.add_row(kind, str(figures["questions"]), *(f"{figures[c]:.3f}" for c in budgets))
    console.print(table)


def _print_answers(by_backend: dict[str, dict[str, Any]]) -> None:
    table = Table("backend", *ANSWER_COLUMNS, title="Answers")
    for name, figures in by_backend.items():
        table.add_row(name, *(_cell(figures[c]) for c in ANSWER_COLUMNS))
    console.print(table)


def _print_by_kind(by_backend: dict[str, dict[str, Any]]) -> None:
    table = Table("backend", "kind", "n", "passed", "refused", title="Answers by kind")
    for name, figures in by_backend.items():
        for kind, row in figures["by_kind"].items():
            table.add_row(name, kind, str(row["questions"]), _cell(row["pass_rate"]),
                          _cell(row["refusal_rate"]))  # fmt: skip
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
