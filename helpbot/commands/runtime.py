"""Running helpbot: `helpbot up` (everything on one machine) and `helpbot bot` (Slack only)."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.deps import Deps, config_from_settings
from helpbot.app import app, console, err, services
from helpbot.commands.answers import interactive
from knowledge.answering.answer_types import AnswerService
from knowledge.db.connection import DatabaseUnavailableError, wait_for_database
from knowledge.services import Services
from knowledge.settings import Settings

logger = logging.getLogger(__name__)


def _started_services() -> Services:
    """This process's services once the database answers (a container may start before
    it); exits with status 3 and a clear message when it does not within the wait."""
    svc = services()
    try:
        wait_for_database(svc.settings.sql_url, timeout_s=svc.settings.db_connect_timeout_s)
    except DatabaseUnavailableError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(3) from exc
    return svc


def _bot_deps(svc: Services, answers: AnswerService) -> Deps:
    """The bot shares this process's database and answer engine."""
    from bot.trust import live_grounding_rate

    return Deps(
        config=config_from_settings(svc.settings),
        db=svc.db,
        answers=answers,
        grounding_pass_rate=live_grounding_rate(svc.db),  # text streams only from a trusted model
    )


@app.command()
def bot(
    http: Annotated[bool, typer.Option(help="Serve /slack/events instead of Socket Mode.")] = False,
    host: Annotated[
        str | None, typer.Option(help="Interface for --http (default HELPBOT_SLACK_HTTP_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port for --http (default HELPBOT_SLACK_HTTP_PORT).")
    ] = None,
) -> None:
    """Run the Slack bot alone (one replica in HTTP mode, or Socket Mode)."""
    from bot.app import missing_tokens, run_http, run_socket_mode

    svc = _started_services()
    missing = missing_tokens(svc.settings, http=http)
    if missing:
        err.print(f"[red]The Slack bot needs {', '.join(missing)}[/] (README: 'The Slack bot').")
        raise typer.Exit(2)
    deps = _bot_deps(svc, svc.answers)
    if http:
        from knowledge.observability import readiness_checks

        settings = svc.settings
        run_http(
            deps,
            settings.slack_http_host if host is None else host,
            settings.slack_http_port if port is None else port,
            readiness_checks(settings),
        )
    else:
        from knowledge.observability import health_endpoints

        with health_endpoints(svc.settings):
            run_socket_mode(deps)


def _console_url(web: object | None, settings: Settings) -> str | None:
    if web is None:
        return None
    return str(getattr(web, "local_url", None) or "") or (
        f"http://{settings.admin_host}:{settings.admin_port}/"
    )


def startup_summary(
    *,
    console_url: str | None,
    missing_slack: list[str],
    documents: int,
    chunks: int,
    live: str | None,
    log_file: Path | None = None,
) -> list[str]:
    """The short block `helpbot up` prints first: where everything is and what answers."""
    slack = (
        "connected (Socket Mode)"
        if not missing_slack
        else f"not connected: set {', '.join(missing_slack)} (README: 'The Slack bot')"
    )
    lines = [
        f"console:   {console_url or 'not started'}",
        f"slack:     {slack}",
        f"knowledge: {documents} document{'' if documents == 1 else 's'}, {chunks} chunks",
        f"answerer:  {live or 'none live'} (helpbot models list)",
    ]
    if log_file is not None:
        lines.append(f"logs:      {log_file}")
    return lines


@contextmanager
def logs_to_file(settings: Settings) -> Iterator[Path]:
    """While the question prompt runs, log lines go to `<data dir>/logs/helpbot.log`; the
    terminal shows only warnings, so scheduler lines never land on the `? ` prompt."""
    path = settings.data_dir / "logs" / "helpbot.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    terminal = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
        and getattr(h, "stream", None) in (sys.stderr, sys.stdout, sys.__stderr__)
    ]
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        terminal[0].formatter if terminal and terminal[0].formatter else logging.Formatter()
    )
    levels = [h.level for h in terminal]
    for h in terminal:
        h.setLevel(max(h.level, logging.WARNING))
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()
        for h, level in zip(terminal, levels, strict=True):
            h.setLevel(level)


@app.command()
def up(
    scheduler: Annotated[bool, typer.Option(help="Keep watched sources fresh.")] = True,
    admin_console: Annotated[bool, typer.Option(help="Serve the admin console too.")] = True,
    worker: Annotated[bool, typer.Option(help="Run queued jobs (datasets, training).")] = True,
    setup: Annotated[
        list[Path] | None,
        typer.Option(
            help="First do `make run`'s set-up in this process (one start-up instead of four): "
            "ingest this folder (unchanged files are skipped), watch it, convert the shipped "
            "chat model. Repeat for several folders."
        ),
    ] = None,
) -> None:
    """Run helpbot on this machine: the scheduler, the Slack bot when its tokens are set, and
    an interactive question prompt on a terminal."""
    svc: Services | None = None
    if setup:
        if admin_console:
            _import_console_beside_setup()
        svc = first_run_setup(setup)
    svc = svc or _started_services()
    prompt = sys.stdin.isatty()
    with logs_to_file(svc.settings) if prompt else _no_log_file() as log_file:
        _up(svc, scheduler, admin_console, worker, prompt=prompt, log_file=log_file)


def _import_console_beside_setup() -> threading.Thread:
    """Import the console (gradio: seconds of CPU) in a thread while the set-up ingests, so the
    prompt does not wait for it afterwards; the console itself starts after the set-up."""

    def load() -> None:
        try:
            importlib.import_module("admin.__main__")
        except Exception:  # the console's own start reports a failure plainly
            logger.debug("console import beside the set-up failed", exc_info=True)

    thread = threading.Thread(target=load, name="console-import", daemon=True)
    thread.start()
    return thread


def first_run_setup(folders: list[Path]) -> Services:
    """What `make run` did in four processes: the migrations (with the first database use), the
    ingest of `folders` and watching them, with the one-time model conversion beside them and
    its progress line after. A failed file or an unpreparable model stops here, as the
    Makefile steps did. Returns the services it built, which `up` then answers with (one
    database, store and embedding model for the whole process)."""
    from helpbot.commands.knowledge import ingest_paths
    from helpbot.commands.models import ChatModelPreparation

    svc = services()
    svc.db  # noqa: B018 - the migrations, before two threads use the database
    model = ChatModelPreparation(svc.settings).start()  # converts beside the ingest (2 cores)
    try:
        ingest_paths(svc, folders, {"actor": "cli"})
        _watch(svc, folders)
    finally:
        prepared = model.finish()  # a failed ingest still waits: no half-written model folder
    if not prepared:
        raise typer.Exit(1)
    return svc


def _watch(svc: Services, folders: list[Path]) -> None:
    """Watch each folder (the scheduler picks up edits); one already watched is left as it is."""
    from knowledge.db import watched_sources
    from pipelines.sources import classify

    with svc.db.session() as session:
        for folder in folders:
            kind, location = classify(str(folder))
            if not watched_sources.source_at(session, location):
                watched_sources.add_source(session, location=location, kind=kind, added_by="cli")


@contextmanager
def _no_log_file() -> Iterator[None]:
    yield None


def _up(
    svc: Services,
    scheduler: bool,
    admin_console: bool,
    worker: bool,
    *,
    prompt: bool,
    log_file: Path | None,
) -> None:
    from bot.app import missing_tokens, run_socket_mode
    from knowledge.db import documents as document_registry
    from knowledge.db import registry

    with svc.db.session() as session:
        docs = document_registry.list_all(session)
        count, chunks = len(docs), sum(d.chunk_count or 0 for d in docs)
    svc.store  # noqa: B018 - open the store (and its schema) before anything answers
    answers = svc.answers
    background = None
    if scheduler:
        from pipelines.scheduler import start_in_background

        background = start_in_background(svc)
    from pipelines.worker.process import start_in_background as start_worker

    jobs_worker = start_worker(svc) if worker else None
    from helpbot.commands.admin import start_console_in_background

    web = start_console_in_background(svc) if admin_console else None
    missing = missing_tokens(svc.settings)
    slack: threading.Thread | None = None
    stop_slack = threading.Event()
    if not missing:
        deps = _bot_deps(svc, answers)
        slack = threading.Thread(
            target=run_socket_mode, args=(deps, stop_slack), name="slack", daemon=True
        )
        slack.start()
    live = registry.live_version(svc.db)
    summary = startup_summary(
        console_url=_console_url(web, svc.settings),
        missing_slack=missing,
        documents=count,
        chunks=chunks,
        live=None
        if live is None
        else live.id
        if live.id == live.kind
        else f"{live.id} ({live.kind})",
        log_file=log_file,
    )
    console.print("\n".join(summary), highlight=False, markup=False, soft_wrap=True)
    try:
        if slack is not None and not prompt:
            slack.join()  # a service (docker, systemd): serve Slack until stopped
        elif web is not None and not prompt:
            web.block_thread()  # a service without Slack: serve the console until stopped
        else:
            console.print("Ask a question (quit, exit, an empty line or Ctrl-D to end).")
            interactive(answers)
    except KeyboardInterrupt:
        pass
    finally:
        stop_slack.set()  # the bot disconnects and its notification thread ends
        if slack is not None:
            slack.join(30)
        if background is not None:
            background.stop()
        if jobs_worker is not None:
            jobs_worker[0].stop()  # a running job stops at its next step and is re-queued
            jobs_worker[1].join(30)
        if web is not None:
            web.close()
