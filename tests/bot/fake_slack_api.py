"""A strict local stand-in for Slack's Web API: a real HTTP server on loopback that records
every call and refuses what Slack refuses.

Like bolt-python's tests/mock_web_api_server: the app's WebClient gets this server as its
base URL and answers come back as Slack shapes them (`{"ok": true, ...}`). Unlike a fake that
says yes to everything, it checks the bearer token and the scopes manifest.yml grants, knows
which channels and messages exist (`channel_not_found`, `message_not_found`), validates
blocks against Block Kit's limits, expires trigger ids after 3 s, pages with cursors and
keeps streams in their states (see tests/bot/fake_slack_workspace.py). A test can also make
the next calls of a method fail with a Slack error or a 429 with Retry-After. Interaction
response URLs (`/respond/...`) work five times, like Slack's.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.bot.fake_slack_refusals import SlackError, issue_trigger_id
from tests.bot.fake_slack_workspace import BOT_ID, BOT_TOKEN, BOT_USER_ID, TEAM_ID, Workspace

__all__ = ["BOT_ID", "BOT_TOKEN", "BOT_USER_ID", "TEAM_ID", "FakeSlackApi", "issue_trigger_id"]

RESPONSE_URL_METHOD = "response_url"
RESPONSE_URL_USES = 5


@dataclass
class Call:
    """One request the fake received."""

    method: str
    """Web API method (e.g. 'chat.postMessage'), or 'response_url'."""
    args: dict[str, Any]
    """JSON body, or form / query fields (JSON-looking values decoded)."""
    path: str = ""
    token: str = ""
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    """What the fake answered."""
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeSlackApi:
    """Start with `with FakeSlackApi() as slack:`; point WebClient(base_url=slack.api_url)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.workspace = Workspace()
        self.usergroups = self.workspace.usergroups
        """Group id -> members (usergroups.users.list; an unknown group: no_such_subteam)."""
        self.users_by_email = self.workspace.users_by_email
        """Email -> user id for users.lookupByEmail (any other email: users_not_found)."""
        self._faults: dict[str, list[Fault]] = {}
        self._response_uses: dict[str, int] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.request_queue_size = 1024
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/respond/{name}"

    def start(self) -> FakeSlackApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- scripting faults -----------------------------------------------------------------------
    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self._add_fault(method, Fault(200, {"ok": False, "error": error}, {}, times))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer 429 with Retry-After."""
        body = {"ok": False, "error": "ratelimited"}
        self._add_fault(method, Fault(429, body, {"Retry-After": str(retry_after)}, times))

    def _add_fault(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    # --- what was called ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 10.0
    ) -> list[Call]:
        """Block until `predicate(calls)` holds; raise AssertionError with the calls if not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self.calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [c.method for c in self.calls]
                    raise AssertionError(f"condition not met; calls so far: {methods}")
                self._changed.wait(left)
            return list(self.calls)

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        self.wait_for(lambda calls: sum(c.method == method for c in calls) >= count, timeout)
        return self.calls_to(method)

    # --- answering like Slack -------------------------------------------------------------------
    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            faults = self._faults.get(method)
            if not faults:
                return None
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            return fault

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # --- the workspace -------------------------------------------------------------------------
    def add_channel(
        self, channel: str, members: list[str] | None = None, *, name: str = ""
    ) -> None:
        """A channel (C...), private channel (G...) or DM (D...) the bot may use."""
        with self._lock:
            self.workspace.add_channel(channel, members, name=name)

    def advance(self, seconds: float) -> None:
        """Let Slack's time pass: trigger ids expire, streams time out."""
        with self._lock:
            self.workspace.offset_s += seconds

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone (an admin, or the bot's owner) deletes a message."""
        with self._lock:
            self.workspace.messages.pop((channel, ts), None)

    def message(self, channel: str, ts: str) -> Any:
        """The stored message (text, blocks, chunks, state), or None."""
        with self._lock:
            return self.workspace.message(channel, ts)

    def seen_text(self, channel: str, ts: str) -> str:
        """Everything a person can read in one message now: text, streamed chunks, blocks."""
        with self._lock:
            message = self.workspace.message(channel, ts)
            if message is None:
                return ""
            return "\n".join([message.text, json.dumps(message.chunks), json.dumps(message.blocks)])

    def answer(self, method: str, args: dict[str, Any], token: str = BOT_TOKEN) -> dict[str, Any]:
        """What Slack answers this call (a refusal is `{"ok": false, "error": ...}`)."""
        with self._lock:
            try:
                return self.workspace.call(method, token, args)
            except SlackError as error:
                return {"ok": False, "error": error.code, **error.extra}

    def respond_answer(self, name: str) -> tuple[int, str]:
        """A response_url works five times within 30 minutes, then Slack answers 404."""
        with self._lock:
            self._response_uses[name] = self._response_uses.get(name, 0) + 1
            if self._response_uses[name] > RESPONSE_URL_USES:
                return 404, "used_url"
            return 200, "ok"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                args: dict[str, Any] = {k: _decode(v) for k, v in parse_qsl(url.query)}
                if "json" in (self.headers.get("Content-Type") or "") and raw:
                    args.update(json.loads(raw))
                elif raw:
                    args.update({k: _decode(v) for k, v in parse_qsl(raw)})
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if url.path.startswith("/respond/"):
                    method = RESPONSE_URL_METHOD
                else:
                    method = url.path.removeprefix("/api/")
                fault = fake._take_fault(method)
                if fault is not None:
                    status, body, headers = fault.status, fault.body, fault.headers
                elif method == RESPONSE_URL_METHOD:
                    status, text = fake.respond_answer(url.path)
                    fake._record(Call(method, args, url.path, token, status, {"ok": status == 200}))
                    self._send_text(status, text)
                    return
                else:
                    status, body, headers = 200, fake.answer(method, args, token), {}
                fake._record(Call(method, args, url.path, token, status, body))
                self._send(status, body, headers)

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _send_text(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
