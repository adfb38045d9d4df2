"""`helpbot eval`: retrieval (and answer) quality on a QA file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from helpbot.app import app, console, progress, services
from knowledge.evaluation import evaluate_retrieval, load_qa
from knowledge.retrieval import Passage
from knowledge.stores.base import SearchMode


@app.command("eval")
def eval_(
    qa_file: Annotated[Path, typer.Argument(help="A QA .jsonl file.", exists=True)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    retrieval_only: Annotated[bool, typer.Option(help="Only the retrieval figures.")] = True,
) -> None:
    """Retrieval (and answer) quality on a QA file, for hybrid, BM25 and vector search."""
    svc = services()
    items = load_qa(qa_file)

    def retrieve(item: Any, mode: SearchMode) -> list[Passage]:
        return svc.retriever.retrieve(
            item.question, audiences=item.audiences, k=10, mode=mode, min_score=0.0
        )

    with progress() as bar:
        task = bar.add_task("evaluating", total=len(items))
        report = evaluate_retrieval(items, retrieve, on_question=lambda: bar.advance(task))
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    _print_retrieval(report["retrieval"])


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
