"""`helpbot models list|show|promote|rollback|evaluate`: the model registry from the CLI."""

from __future__ import annotations

import getpass
import json
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from helpbot.app import app, console, err, progress, services
from helpbot.tables import id_table
from knowledge.db import registry
from knowledge.db.registry import RegistryError, VersionInfo

models_app = typer.Typer(
    help="Model versions: lineage, evaluation, promotion and rollback.", no_args_is_help=True
)
app.add_typer(models_app, name="models")

Actor = Annotated[str | None, typer.Option(help="Who does it (default: your login name).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _ready() -> Any:
    svc = services()
    from knowledge.generation.live import configured_base_model

    registry.ensure_bootstrap(svc.db, base_model=configured_base_model(svc))
    return svc


def _figure(version: VersionInfo, name: str) -> str:
    value = (version.metrics.get("evaluation") or {}).get(name)
    return "-" if value is None else f"{value:.3f}"


@models_app.command("prepare")
def models_prepare() -> None:
    """Convert the shipped chat model once (about 10 s), so the first answer does not wait;
    instant when already done or when HELPBOT_BASE_MODEL names another model."""
    settings = services().settings
    if not ChatModelPreparation(settings).start().finish():
        raise typer.Exit(1)


class ChatModelPreparation:
    """The one-time model conversion in a background thread (`up --setup` runs it beside the
    ingest); `finish()` shows its progress line until it is done, then its one sentence."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self._progress = (0, 0)
        self._outcome = ""
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="model-prepare", daemon=True)

    def start(self) -> ChatModelPreparation:
        self._thread.start()
        return self

    def _run(self) -> None:
        from knowledge.generation.model_files import prepare_base_model

        s = self._settings
        try:
            self._outcome = prepare_base_model(
                s.base_model, s.models_dir, s.generator, self._report
            )
        except BaseException as error:  # handed to finish(), in the caller's thread
            self._error = error

    def _report(self, done: int, total: int) -> None:
        self._progress = (done, total)

    def finish(self) -> bool:
        """Wait for the conversion; False (the sentence says why) when the model cannot be
        prepared. Any other error is raised here, as it would have been without the thread."""
        from knowledge.generation.base import GeneratorUnavailableError

        with err.status("preparing the chat model (once, about 10 s)...") as status:
            while self._thread.is_alive():
                done, total = self._progress
                if total:
                    status.update(f"converting the chat model (once): {done}/{total} tensors")
                self._thread.join(0.1)
        if isinstance(self._error, GeneratorUnavailableError):
            err.print(f"[red]{self._error}[/]")
            return False
        if self._error is not None:
            raise self._error
        err.print(self._outcome, highlight=False)
        return True


@models_app.command("list")
def models_list(as_json: Json = False) -> None:
    """Every version with its status and its last evaluation's headline figures."""
    svc = _ready()
    versions = registry.list_versions(svc.db)
    if as_json:
        sys.stdout.write(json.dumps([v.to_json() for v in versions]) + "\n")
        return
    ids = [v.id for v in versions]
    table = id_table(
        console,
        "id",
        ids,
        "kind",
        "status",
        "base",
        "dataset",
        "key facts",
        "grounding",
        "promoted",
    )
    for v in versions:
        status = f"[green]{v.status}[/]" if v.status == "live" else v.status
        promoted = f"{v.promoted_by} {v.promoted_at:%Y-%m-%d %H:%M}" if v.promoted_at else ""
        table.add_row(
            v.id,
            v.kind,
            status,
            v.base_model or "-",
            v.dataset_version_id or "-",
            _figure(v, "key_fact_accuracy"),
            _figure(v, "grounding_pass_rate"),
            promoted,
        )
    console.print(table)


@models_app.command("show")
def models_show(
    version_id: Annotated[str, typer.Argument(help="A version id (see `models list`).")],
    as_json: Json = False,
) -> None:
    """A version's lineage, its last evaluation and the gate's rules."""
    svc = _ready()
    try:
        version = registry.get_version(svc.db, version_id)
    except RegistryError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    report = registry.latest_report(svc.db, version_id)
    history = [
        p for p in registry.promotions(svc.db) if version_id in (p.to_version, p.from_version)
    ]
    if as_json:
        data = {
            "version": version.to_json(),
            "report": report.report if report else None,
            "history": [{**vars(p), "at": p.at.isoformat()} for p in history],
        }
        sys.stdout.write(json.dumps(data, default=str) + "\n")
        return
    for key, value in version.to_json().items():
        if key != "metrics":
            console.print(f"[bold]{key}[/]: {value}", highlight=False)
    if report is None:
        console.print("[yellow]not evaluated yet[/]")
    else:
        _print_report(report.report)
    for p in history:
        forced = " [red](forced)[/]" if p.forced else ""
        console.print(
            f"{p.at:%Y-%m-%d %H:%M} {p.action} {p.from_version} -> {p.to_version} "
            f"by {p.actor}{forced} {p.reason}",
            highlight=False,
        )


def _print_report(report: dict[str, Any]) -> None:
    figures = report.get("figures", {}).get("all", {})
    columns = [
        "key_fact_accuracy",
        "abstention_precision",
        "abstention_recall",
        "grounding_pass_rate",
        "citation_accuracy",
        "latency_p50_s",
        "median_words",
    ]
    table = Table("answerer", *columns, title=f"Evaluation ({report.get('questions')})")
    for role, scores in figures.items():
        table.add_row(role, *(_cell(scores.get(c)) for c in columns))
    console.print(table)
    for side in ("vs_live", "vs_base"):
        wins, losses = report.get("wins", {}).get(side, []), report.get("losses", {}).get(side, [])
        console.print(f"{side}: {len(wins)} wins, {len(losses)} losses")
    gate = report.get("gate", {})
    verdict = "[green]passed[/]" if gate.get("passed") else "[red]failed[/]"
    console.print(f"gate {verdict}")
    for rule in gate.get("rules", []):
        mark = "[green]✓[/]" if rule["passed"] else "[red]✗[/]"
        console.print(f"  {mark} {rule['rule']}: {rule['detail']}", highlight=False)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


@models_app.command("promote")
def models_promote(
    version_id: Annotated[str, typer.Argument(help="The evaluated version to make live.")],
    force: Annotated[
        bool, typer.Option(help="Promote although the gate failed (needs --reason).")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why; recorded in the history.")] = "",
    actor: Actor = None,
) -> None:
    """Make a version live; every answering process switches within seconds."""
    svc = _ready()
    try:
        done = registry.promote(
            svc.db, version_id, actor=actor or getpass.getuser(), force=force, reason=reason
        )
    except RegistryError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    forced = " (forced past the gate)" if done.forced else ""
    console.print(f"[green]{done.to_version} is live[/] (was {done.from_version}){forced}.")


@models_app.command("rollback")
def models_rollback(
    to: Annotated[str | None, typer.Option(help="A version that was live before.")] = None,
    reason: Annotated[str, typer.Option(help="Why; recorded in the history.")] = "",
    actor: Actor = None,
) -> None:
    """Go back to the previously live version (or --to an earlier one)."""
    svc = _ready()
    try:
        done = registry.rollback(svc.db, actor=actor or getpass.getuser(), reason=reason, to=to)
    except RegistryError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    console.print(f"[green]{done.to_version} is live again[/] (was {done.from_version}).")


@models_app.command("evaluate")
def models_evaluate(
    version_id: Annotated[
        str, typer.Argument(help="The version to evaluate; default: the base model (bootstrap).")
    ] = registry.BASE_ID,
    qa_file: Annotated[
        list[Path] | None, typer.Option(help="Also evaluate on this QA file (repeat).")
    ] = None,
    queue: Annotated[bool, typer.Option(help="Queue a job for a worker instead.")] = False,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Evaluate a version against the live answerer and the base model, then run the gate.

    The first evaluation of the base model picks what serves: it becomes live when it beats
    the extractive answerer."""
    from pipelines.evaluation import EvaluationError, evaluate_candidate

    svc = _ready()
    files = [p.resolve() for p in qa_file or []]
    if queue:
        from knowledge.db import jobs

        payload = {"version_id": version_id, "qa_files": [str(p) for p in files]}
        job_id = jobs.enqueue(svc.db, "evaluate", payload, created_by=actor or getpass.getuser())
        console.print(f"queued evaluation job {job_id}")
        return
    try:
        with progress() as bar:
            task = bar.add_task("answers", total=None)
            report = evaluate_candidate(
                svc,
                version_id,
                qa_files=tuple(files),
                created_by=actor or getpass.getuser(),
                on_answer=lambda: bar.advance(task),
            )
    except (EvaluationError, RegistryError, ValueError) as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), default=str) + "\n")
        return
    _print_report(report.to_json())
    if report.promoted:
        console.print(f"[green]{version_id} beat the extractive answerer and is now live.[/]")
