"""`python -m helpbot.with_health MODULE [ARGS...]`: run a process module (the scheduler, the
console) with /healthz, /readyz and /metrics beside it on HELPBOT_HEALTH_PORT, after waiting
for the database, with one-line (or JSON) logs."""

from __future__ import annotations

import logging
import runpy
import sys

from knowledge.db.connection import DatabaseUnavailableError, wait_for_database
from knowledge.observability import HealthServer, configure_logging, readiness_checks
from knowledge.settings import Settings

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m helpbot.with_health MODULE [ARGS...]", file=sys.stderr)
        return 2
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        wait_for_database(settings.sql_url, timeout_s=settings.db_connect_timeout_s)
    except DatabaseUnavailableError as exc:
        log.error("%s", exc)
        return 3
    health = None
    if settings.health_port:
        health = HealthServer(
            settings.health_host, settings.health_port, readiness_checks(settings)
        )
        health.start()
    sys.argv = [args[0], *args[1:]]
    try:
        runpy.run_module(args[0], run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    finally:
        if health is not None:
            health.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
