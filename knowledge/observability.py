"""Operations: Prometheus metrics, /healthz /readyz /metrics for every long-running process,
and one-line (optionally JSON) logs.

Processes mount the same three endpoints: the bot in HTTP mode on its own Starlette app (see
`health_response`), the console, scheduler and worker on a small `HealthServer` thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from knowledge.settings import Settings

log = logging.getLogger(__name__)

QUESTIONS = Counter("helpbot_questions", "Questions received, by surface", ["surface"])
ANSWERS = Counter(
    "helpbot_answers", "Replies sent, by outcome (answered, abstained, error, ...)", ["outcome"]
)
ABSTENTIONS = Counter("helpbot_abstentions", "Honest 'not in our policies' replies")
GROUNDING_FAILURES = Counter(
    "helpbot_grounding_failures", "Generated answers the grounding check refused"
)
STAGE_SECONDS = Histogram(
    "helpbot_stage_seconds",
    "Latency of one stage of answering (ack, retrieve, generate, ground, total)",
    ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
QUEUE_DEPTH = Gauge(
    "helpbot_queue_depth", "Tasks queued or running in one of this process's pools", ["pool"]
)
REINDEX_RUNS = Counter("helpbot_reindex_runs", "Re-index runs, by outcome", ["outcome"])

Check = Callable[[], object]
"""A readiness probe: returns when the dependency answers, raises when it does not."""
PROBE_TIMEOUT_S = 3.0


def record_answer(
    outcome: str,
    *,
    abstained: bool = False,
    grounding_failed: bool = False,
    stage_seconds: Mapping[str, float] | None = None,
) -> None:
    """Count one reply and its stage latencies (called once per answered question)."""
    ANSWERS.labels(outcome=outcome).inc()
    if abstained:
        ABSTENTIONS.inc()
    if grounding_failed:
        GROUNDING_FAILURES.inc()
    for stage, seconds in (stage_seconds or {}).items():
        STAGE_SECONDS.labels(stage=stage).observe(seconds)


class JobStatesCollector(Collector):
    """helpbot_jobs{state}: the job queue's rows per state, read from SQL at scrape time."""

    def __init__(self, count_states: Callable[[], Mapping[str, int]]) -> None:
        self._count_states = count_states

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily("helpbot_jobs", "Jobs in the queue, by state", labels=["state"])
        try:
            counts = self._count_states()
        except Exception as exc:  # a scrape must not fail because the database is away
            log.warning("job states unavailable: %s", type(exc).__name__)
            counts = {}
        for state in ("queued", "running", "succeeded", "failed", "cancelled"):
            family.add_metric([state], counts.get(state, 0))
        yield family


_job_collector: JobStatesCollector | None = None
_job_collector_lock = threading.Lock()


def watch_job_states(count_states: Callable[[], Mapping[str, int]]) -> None:
    """Export the queue's job states from this process (the latest source wins)."""
    global _job_collector
    with _job_collector_lock:
        if _job_collector is not None:
            REGISTRY.unregister(_job_collector)
        _job_collector = JobStatesCollector(count_states)
        REGISTRY.register(_job_collector)


def readiness_checks(settings: Settings) -> dict[str, Check]:
    """Database, store and (for a served model) generation server reachability."""
    engine = create_engine(settings.sql_url, poolclass=NullPool, hide_parameters=True)

    def database() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    checks: dict[str, Check] = {"database": database}
    if settings.weaviate_url:
        checks["store"] = _http_ok(settings.weaviate_url.rstrip("/") + "/v1/.well-known/ready")
    else:
        checks["store"] = lambda: settings.data_dir.stat()
    if settings.generator == "openai":
        checks["model"] = _http_ok(settings.openai_base_url.rstrip("/") + "/models")
    return checks


def _http_ok(url: str) -> Callable[[], None]:
    def probe() -> None:
        httpx.get(url, timeout=PROBE_TIMEOUT_S).raise_for_status()

    return probe


def run_checks(checks: Mapping[str, Check]) -> tuple[bool, dict[str, str]]:
    """Every probe's verdict: "ok" or the error's class (never its text: it may hold a URL
    with a password)."""
    verdicts: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            verdicts[name] = "ok"
        except Exception as exc:
            verdicts[name] = f"unavailable ({type(exc).__name__})"
    return all(v == "ok" for v in verdicts.values()), verdicts


def health_response(
    path: str, checks: Mapping[str, Check], registry: CollectorRegistry = REGISTRY
) -> tuple[int, str, bytes] | None:
    """(status, content type, body) for /healthz, /readyz or /metrics; None for other paths."""
    if path == "/healthz":
        return 200, "text/plain; charset=utf-8", b"ok"
    if path == "/readyz":
        ready, verdicts = run_checks(checks)
        body = json.dumps({"ready": ready, "checks": verdicts}).encode()
        return (200 if ready else 503), "application/json", body
    if path == "/metrics":
        return 200, CONTENT_TYPE_LATEST, generate_latest(registry)
    return None


class HealthServer:
    """/healthz, /readyz and /metrics on their own port, in a daemon thread."""

    def __init__(self, host: str, port: int, checks: Mapping[str, Check]) -> None:
        probes = dict(checks)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = health_response(self.path.split("?", 1)[0], probes)
                status, content_type, body = answer or (404, "text/plain", b"not found")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # probes every few seconds are not events

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="helpbot-health", daemon=True
        )

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("health server on %s:%d", self.host, self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextmanager
def health_endpoints(settings: Settings) -> Iterator[HealthServer | None]:
    """/healthz, /readyz (readiness_checks) and /metrics on HELPBOT_HEALTH_PORT while the block
    runs: for a process without its own HTTP server (the bot in Socket Mode); none when 0."""
    if not settings.health_port:
        yield None
        return
    checks = readiness_checks(settings)
    server = HealthServer(settings.health_host, settings.health_port, checks).start()
    try:
        yield server
    finally:
        server.stop()


# --- Logs ---------------------------------------------------------------------------------

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info).replace("\n", " | ")
        return json.dumps(entry, ensure_ascii=False)


class OneLineFormatter(logging.Formatter):
    """`time LEVEL logger: event`, a traceback folded onto the same line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")


_OURS = "_helpbot_configured"


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Root logging for a process: one line per event on stderr, JSON when fmt == "json".
    Like logging.basicConfig, it leaves alone a root logger whose handlers someone else
    installed (a test runner, an application embedding helpbot); calling it again replaces
    its own handler."""
    root = logging.getLogger()
    if any(not getattr(existing, _OURS, False) for existing in root.handlers):
        return
    for existing in list(root.handlers):
        root.removeHandler(existing)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter())
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.Formatter.converter = time.gmtime
