"""`python -m bot [--http --port N]`: the Slack bot's composition root."""

from __future__ import annotations

import argparse
import sys

from bot.app import missing_tokens, run_http, run_socket_mode
from bot.deps import Deps, config_from_settings
from knowledge.db.connection import DatabaseUnavailableError, wait_for_database
from knowledge.observability import configure_logging, health_endpoints, readiness_checks
from knowledge.settings import Settings


def build_deps(settings: Settings) -> Deps:
    """Settings -> services -> the answer engine -> what the bot is built from."""
    from bot.trust import live_grounding_rate
    from knowledge.services import Services

    services = Services.from_settings(settings)
    return Deps(
        config=config_from_settings(settings),
        db=services.db,
        answers=services.answers,  # follows the model registry's live version
        grounding_pass_rate=live_grounding_rate(services.db),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--http", action="store_true", help="serve /slack/events over HTTP instead of Socket Mode"
    )
    parser.add_argument("--host", help="interface for --http (default HELPBOT_SLACK_HTTP_HOST)")
    parser.add_argument(
        "--port", type=int, help="port for --http (default HELPBOT_SLACK_HTTP_PORT)"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    missing = missing_tokens(settings, http=args.http)
    if missing:
        print(
            f"The Slack bot needs {', '.join(missing)} (see 'The Slack bot' in README.md).",
            file=sys.stderr,
        )
        return 2
    try:  # a container may start before its database
        wait_for_database(settings.sql_url, timeout_s=settings.db_connect_timeout_s)
    except DatabaseUnavailableError as exc:
        print(exc, file=sys.stderr)
        return 3
    deps = build_deps(settings)
    if args.http:
        host = settings.slack_http_host if args.host is None else args.host
        port = settings.slack_http_port if args.port is None else args.port
        run_http(deps, host, port, readiness_checks(settings))
    else:
        with health_endpoints(settings):
            run_socket_mode(deps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
