"""`python -m admin`: the console's composition root (settings -> services -> Gradio app)."""

from __future__ import annotations

import argparse
import sys

import gradio as gr

from admin.context import ConsoleContext
from admin.server import ConsoleStartError, launch, prepare_admins
from knowledge.answering.answer_types import AnswerService
from knowledge.db.connection import DatabaseUnavailableError, wait_for_database
from knowledge.observability import configure_logging
from knowledge.services import Services
from knowledge.settings import Settings


def answer_service(services: Services, backend: str) -> AnswerService:
    """ "live": the process's own answer service (`services.answers`, which follows the model
    registry's live version; shared with the bot under `helpbot up`, so one poller and one
    copy of the model); any other backend spec ("extractive", "base", "adapter:PATH") is built
    as `helpbot ask` builds it."""
    if backend == "live":
        return services.answers
    from knowledge.answering import build_answer_service

    return build_answer_service(services, backend=backend)


def build_context(services: Services) -> ConsoleContext:
    """The console's dependencies over a process's services (shared with `helpbot up`)."""
    from datetime import timedelta

    from knowledge.db.admins import ThrottlePolicy

    settings = services.settings
    window = timedelta(minutes=settings.admin_lockout_minutes)
    return ConsoleContext(
        services=services,
        answer_factory=lambda backend: answer_service(services, backend),
        throttle=ThrottlePolicy(settings.admin_max_failed_logins, window, window),
    )


def serve(services: Services, host: str, port: int, *, block: bool = True) -> gr.Blocks:
    """Create first admins if needed, print a generated password once, and serve."""
    ctx = build_context(services)
    first = prepare_admins(ctx, host)
    if first is not None and first.password:
        # Shown once on the terminal, never logged; only its hash is stored.
        sys.stderr.write(
            f"Created console admin {first.name!r} with password: {first.password}\n"
            "Change it with `helpbot admin passwd admin`.\n"
        )
    sys.stderr.write(f"helpbot console on http://{host}:{port}/\n")
    return launch(ctx, host, port, block=block)


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m admin", description="helpbot's admin console")
    parser.add_argument("--host", default=settings.admin_host, help="interface to bind")
    parser.add_argument("--port", type=int, default=settings.admin_port)
    args = parser.parse_args(argv)
    configure_logging(settings.log_level, settings.log_format)
    try:  # a container may start before its database
        wait_for_database(settings.sql_url, timeout_s=settings.db_connect_timeout_s)
    except DatabaseUnavailableError as error:
        sys.stderr.write(f"{error}\n")
        return 3
    services = Services.from_settings(settings)
    try:
        serve(services, args.host, args.port)
    except ConsoleStartError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
