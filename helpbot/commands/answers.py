"""`helpbot ask`: one cited answer from the knowledge base, with its sources and timings."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

from helpbot.app import app, console, err, services
from knowledge.answering.answer_types import Answer, AnswerService, Asker, Turn
from knowledge.services import Services
from knowledge.stores.base import EVERYONE, StoreUnavailableError

UNREACHABLE = "[red]cannot reach the knowledge base:[/]"
"""Said, with the store's error, when a question cannot be answered for an outage."""
OVERDUE = " [red](review overdue)[/]"
"""After a cited source or a search hit whose document is past its review date."""


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, as an employee would ask it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    backend: Annotated[
        str | None,
        typer.Option(
            help="live (default: the model registry's live version), extractive, local, base, "
            "openai or adapter:PATH."
        ),
    ] = None,
    audience: Annotated[
        list[str] | None, typer.Option(help="Ask as this audience (repeat).")
    ] = None,
    stream: Annotated[
        bool, typer.Option(help="Print the model's text as it is generated.")
    ] = False,
) -> None:
    """Answer a question from the policies the asker may see, citing its sources."""
    service = build_service(backend)
    asker = Asker("cli", tuple(audience or [EVERYONE]))
    on_token = _stream_to_stderr if stream and not as_json else None
    try:
        answer = service.answer(question, asker, (), on_token=on_token)
    except StoreUnavailableError as error:
        err.print(f"{UNREACHABLE} {error}")
        raise typer.Exit(1) from error
    if on_token:
        sys.stderr.write("\n")
    if as_json:
        sys.stdout.write(json.dumps(answer_to_json(answer), ensure_ascii=False) + "\n")
    else:
        print_answer(answer)


def build_service(backend: str | None, svc: Services | None = None) -> AnswerService:
    """The answer service for a backend spec, turning bad specs and adapters into exit code 2.

    None or "live": the process's live answerer (the version the model registry says is live,
    as the bot and `helpbot up` answer). Pass the process's Services when it has one, so the
    engine shares its models and stores.
    """
    from knowledge.answering import build_answer_service
    from knowledge.generation.base import AdapterError

    svc = svc or services()
    if backend is None or backend.strip().lower() == "live":
        return svc.answers
    try:
        return build_answer_service(svc, backend=backend)
    except (ValueError, AdapterError) as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error


def answer_to_json(answer: Answer) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {
                "number": c.number,
                "source": c.source,
                "title": c.title,
                "section": c.section,
                "source_uri": c.source_uri,
                "version": c.version,
                "review_by": c.review_by.isoformat() if c.review_by else None,
                "stale": c.stale,
            }
            for c in answer.citations
        ],
        "model_version": answer.model_version,
        "timings": answer.timings,
        "confidence": round(answer.confidence, 4),
        "grounding_failed": answer.grounding_failed,
        "standalone_question": answer.standalone_question,
        "note": answer.note,
    }


def print_answer(answer: Answer) -> None:
    style = "yellow" if answer.abstained else "bold"
    # Document text may contain [brackets] that rich would read as markup.
    console.print(f"[{style}]{escape(answer.text)}[/]", highlight=False)
    if answer.note:
        console.print(f"[cyan]ⓘ {escape(answer.note)}[/]", highlight=False)
    for c in answer.citations:
        review = f", review by {c.review_by.isoformat()}" if c.review_by else ""
        overdue = OVERDUE if c.stale else ""
        where = escape(f"{c.title} — {c.section}" if c.section else c.title)
        console.print(
            f"  [{c.number}] {where} [dim]({c.source} v{c.version}{review})[/]{overdue}",
            highlight=False,
        )
    timings = " · ".join(f"{stage} {seconds:.2f}s" for stage, seconds in answer.timings.items())
    extra = " · grounding check failed: quoting sources" if answer.grounding_failed else ""
    console.print(f"[dim]{answer.model_version} · {timings}{extra}[/]", highlight=False)


ENDINGS = frozenset({"", "quit", "exit", ":q", "bye"})
"""What ends the question prompt instead of being asked."""


def interactive(service: AnswerService, audiences: tuple[str, ...] = (EVERYONE,)) -> None:
    """A question prompt with thread memory (what `helpbot up` offers without Slack tokens).

    `quit`, `exit`, an empty line, Ctrl-D or Ctrl-C ends it.
    """
    history: list[Turn] = []
    asker = Asker("console", audiences)
    while True:
        try:
            question = console.input("[bold cyan]? [/]").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if question.lower().rstrip(".!") in ENDINGS:
            break
        try:
            answer = service.answer(question, asker, tuple(history[-6:]))
        except StoreUnavailableError as error:
            err.print(f"{UNREACHABLE} {error}")
            continue
        print_answer(answer)
        history += [Turn("user", question), Turn("assistant", answer.text)]


def _stream_to_stderr(piece: str) -> None:
    sys.stderr.write(piece)
    sys.stderr.flush()


@app.command()
def calibrate(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    seed: Annotated[int, typer.Option(help="Seed for the synthetic questions.")] = 0,
) -> None:
    """Place the abstention rule for this knowledge base from synthetic questions drawn from its
    own passages (no labelled questions); answers use it until the knowledge changes."""
    from dataclasses import asdict

    from knowledge.answering.calibration import recalibrate

    svc = services()
    with console.status("asking synthetic questions of the knowledge base..."):
        calibration = recalibrate(
            svc.db, svc.retriever, svc.settings.data_dir, k=svc.settings.search_k, seed=seed
        )
    if calibration is None:
        err.print(
            "[yellow]The knowledge base is too small to calibrate on; answers use the "
            "configured thresholds (helpbot config: abstain_*).[/]"
        )
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(json.dumps(asdict(calibration)) + "\n")
    else:
        console.print(calibration.describe(), highlight=False)
