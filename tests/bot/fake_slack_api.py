"""A local stand-in for Slack's Web API: a real HTTP server on loopback that records every call.

Like bolt-python's tests/mock_web_api_server: the app's WebClient gets this server as its
base URL, answers come back as Slack shapes them (`{"ok": true, ...}`), and a test can make
the next calls of a method fail with a Slack error or a 429 with Retry-After. Interaction
response URLs (`/respond/...`) are served too.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"
RESPONSE_URL_METHOD = "response_url"


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
        self.usergroups: dict[str, list[str]] = {}
        self.channel_members: dict[str, list[str]] = {}
        self.users_by_email: dict[str, str] = {}
        """Email -> user id for users.lookupByEmail (any other email: users_not_found)."""
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
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

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return ok | {
                "url": "https://acme.slack.com/",
                "team": "Acme",
                "user": "helpbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks") or [],
            }
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            return ok | {"channel": args.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            return ok | {
                "channel": args.get("channel"),
                "ts": args.get("ts"),
                "text": args.get("text", ""),
            }
        if method == "chat.postEphemeral":
            return ok | {"message_ts": self._next_ts()}
        if method in ("views.open", "views.publish", "views.update"):
            view = args.get("view") or {}
            return ok | {"view": {"id": f"V{next(self._views):05d}", **view}}
        if method == "usergroups.users.list":
            return ok | {"users": self.usergroups.get(str(args.get("usergroup")), [])}
        if method == "conversations.members":
            members = self.channel_members.get(str(args.get("channel")), [])
            return ok | {"members": members, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.info":
            channel = str(args.get("channel"))
            return ok | {"channel": {"id": channel, "is_im": channel.startswith("D")}}
        if method == "users.lookupByEmail":
            user = self.users_by_email.get(str(args.get("email", "")).lower())
            if user is None:
                return {"ok": False, "error": "users_not_found"}
            return ok | {"user": {"id": user, "is_bot": False}}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            if not users or "," in users:
                return {"ok": False, "error": "not_implemented_in_fake"}
            return ok | {"channel": {"id": "D" + users[1:], "is_im": True}}
        if method == "users.info":
            return ok | {"user": {"id": args.get("user"), "is_bot": False}}
        if method in ("reactions.add", "reactions.remove") or method.startswith("assistant."):
            return ok
        if method == "apps.connections.open":
            return ok | {"url": "ws://127.0.0.1:1/never"}
        return {"ok": False, "error": "unknown_method"}

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
                    status, body, headers = 200, {"ok": True}, {}
                else:
                    status, body, headers = 200, fake.answer(method, args), {}
                fake._record(Call(method, args, url.path, token, status, body))
                if method == RESPONSE_URL_METHOD and fault is None:
                    self._send_text(200, "ok")
                else:
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
