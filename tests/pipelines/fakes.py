"""Test doubles for the scheduler tests: a fake clock, a threadless APScheduler, a policy server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.interval
import pytest
from apscheduler.schedulers.base import BaseScheduler


class FakeClock:
    """The time every part of the scheduler reads: ours (injected) and APScheduler's (patched)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make APScheduler's `datetime.now()` read this clock (it has no clock parameter)."""
        monkeypatch.setattr(FrozenDatetime, "clock", self)
        for module in (
            apscheduler.schedulers.base,
            apscheduler.executors.base,
            apscheduler.triggers.interval,
        ):
            monkeypatch.setattr(module, "datetime", FrozenDatetime)


class FrozenDatetime(datetime):
    """`datetime` whose now() is a FakeClock's (module level: job state pickles its values)."""

    clock: FakeClock | None = None

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        assert cls.clock is not None
        current = cls.clock.current
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)


START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


class ManualScheduler(BaseScheduler):
    """APScheduler without its loop thread: due jobs run when a test calls `run_due()`."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        """Nothing to wake: there is no loop."""

    def run_due(self) -> None:
        self._process_jobs()


class PolicyServer:
    """A real HTTP server on 127.0.0.1 serving documents with ETag and Last-Modified.

    It answers conditional GETs with 304, can be told to fail, and logs every request.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fail_with: int | None = None
        self.requests: list[tuple[str, int]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{path.lstrip('/')}"

    def statuses(self, path: str) -> list[int]:
        return [status for p, status in self.requests if p == "/" + path.lstrip("/")]

    def __enter__(self) -> PolicyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status = self._respond()
                server.requests.append((self.path, status))

            def _respond(self) -> int:
                if server.fail_with is not None:
                    self.send_error(server.fail_with)
                    return server.fail_with
                body = server.files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return 404
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return 304
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", "Mon, 01 Mar 2027 06:00:00 GMT")
                self.send_header("Content-Type", "text/markdown; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return 200

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: requests are recorded in `server.requests`."""

        return Handler


def serve() -> Iterator[PolicyServer]:
    with PolicyServer() as server:
        yield server
