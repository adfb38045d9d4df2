"""Running helpbot: `helpbot up` (everything on one machine) and `helpbot bot` (Slack only)."""

from __future__ import annotations

import sys
import threading
from typing import Annotated

import typer

from bot.deps import Deps, config_from_settings
from helpbot.app import app, console, err, services
from helpbot.commands.answers import interactive
from knowledge.answering.models import AnswerService
from knowledge.db.engine import DatabaseUnavailableError, wait_for_database
from knowledge.services import Services


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
    host: Annotated[str, typer.Option(help="Interface for --http.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port for --http.")] = 3000,
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

        run_http(deps, host, port, readiness_checks(svc.settings))
    else:
        run_socket_mode(deps)


@app.command()
def up(
    scheduler: Annotated[bool, typer.Option(help="Keep watched sources fresh.")] = True,
    admin_console: Annotated[bool, typer.Option(help="Serve the admin console too.")] = True,
    worker: Annotated[bool, typer.Option(help="Run queued jobs (datasets, training).")] = True,
) -> None:
    """Run helpbot on this machine: the scheduler, the Slack bot when its tokens are set, and
    an interactive question prompt on a terminal."""
    from bot.app import missing_tokens, run_socket_mode
    from knowledge.db import documents as registry

    svc = _started_services()
    with svc.db.session() as session:
        count = len(registry.list_all(session))
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
    if missing:
        console.print(f"[yellow]Slack bot not started: set {', '.join(missing)} to connect.[/]")
    else:
        deps = _bot_deps(svc, answers)
        slack = threading.Thread(
            target=run_socket_mode, args=(deps, stop_slack), name="slack", daemon=True
        )
        slack.start()
        console.print("[green]Slack bot connected in Socket Mode; it delivers owner nudges.[/]")
    console.print(
        f"[bold]helpbot[/] — {count} documents in {svc.settings.data_dir}; scheduler "
        f"{'on' if background else 'off'}."
    )
    try:
        if slack is not None and not sys.stdin.isatty():
            slack.join()  # a service (docker, systemd): serve Slack until stopped
        elif web is not None and not sys.stdin.isatty():
            web.block_thread()  # a service without Slack: serve the console until stopped
        else:
            console.print("Ask a question (empty line or Ctrl-D to quit).")
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
