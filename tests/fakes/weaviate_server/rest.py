"""The fake's REST API (/v1): meta, readiness, schema, tenants and aliases for the client."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.weaviate_server.faults import Faults, Timer
from tests.fakes.weaviate_server.schema import SchemaError
from tests.fakes.weaviate_server.state import Database, NotFound

Reply = tuple[int, Any]

STATS_PATH = "/v1/_fake/stats"
"""Not Weaviate's: handler time and call counts, readable from another process."""
Route = tuple[str, re.Pattern[str], Callable[..., Reply]]


def _error(status: int, message: str) -> Reply:
    return status, {"error": [{"message": message}]}


class RestApi:
    """Routes and answers; the HTTP plumbing lives in `make_handler`."""

    def __init__(self, db: Database, version: str, grpc_port: Callable[[], int]) -> None:
        self.db = db
        self.version = version
        self.grpc_port = grpc_port
        self.routes: list[Route] = [
            ("GET", re.compile(r"/v1/meta"), self.meta),
            ("GET", re.compile(r"/v1/\.well-known/(ready|live)"), lambda _: (200, None)),
            (
                "GET",
                re.compile(r"/v1/\.well-known/openid-configuration"),
                lambda: _error(404, "no oidc"),
            ),
            ("GET", re.compile(r"/v1/schema"), self.list_collections),
            ("POST", re.compile(r"/v1/schema"), self.create_collection),
            ("GET", re.compile(r"/v1/schema/([^/]+)"), self.get_collection),
            ("DELETE", re.compile(r"/v1/schema/([^/]+)"), self.delete_collection),
            ("GET", re.compile(r"/v1/schema/([^/]+)/tenants"), self.list_tenants),
            ("POST", re.compile(r"/v1/schema/([^/]+)/tenants"), self.create_tenants),
            ("GET", re.compile(r"/v1/schema/([^/]+)/tenants/([^/]+)"), self.get_tenant),
            ("HEAD", re.compile(r"/v1/schema/([^/]+)/tenants/([^/]+)"), self.get_tenant),
            ("GET", re.compile(r"/v1/aliases"), self.list_aliases),
            ("POST", re.compile(r"/v1/aliases"), self.create_alias),
            ("GET", re.compile(r"/v1/aliases/([^/]+)"), self.get_alias),
            ("PUT", re.compile(r"/v1/aliases/([^/]+)"), self.update_alias),
            ("DELETE", re.compile(r"/v1/aliases/([^/]+)"), self.delete_alias),
        ]

    def dispatch(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Reply:
        for route_method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if route_method == method and match:
                args = list(match.groups())
                if method in ("POST", "PUT"):
                    args.append(body)
                if handler in (self.list_aliases,):
                    args.append(query)
                try:
                    return handler(*args)
                except NotFound as exc:
                    return _error(404, str(exc))
                except SchemaError as exc:
                    return _error(422, str(exc))
        return _error(404, f"no route for {method} {path}")

    # --- meta --------------------------------------------------------------------------
    def meta(self) -> Reply:
        return 200, {
            "hostname": "http://[::]:8080",
            "version": self.version,
            "modules": {m: {} for m in sorted(self.db.enabled_modules)},
            "grpcMaxMessageSize": 104858000,
        }

    # --- schema ------------------------------------------------------------------------
    def list_collections(self) -> Reply:
        with self.db.lock:
            return 200, {"classes": [c.definition for c in self.db.collections.values()]}

    def create_collection(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            return _error(422, "body must be a class definition")
        return 200, self.db.create_collection(body)

    def get_collection(self, name: str) -> Reply:
        return 200, self.db.collection(name, follow_alias=False).definition

    def delete_collection(self, name: str) -> Reply:
        self.db.drop_collection(name)
        return 200, None

    # --- tenants -----------------------------------------------------------------------
    def list_tenants(self, name: str) -> Reply:
        with self.db.lock:
            collection = self.db.collection(name, follow_alias=False)
            if not collection.multi_tenant:
                return _error(422, f"multi-tenancy is not enabled for class {name!r}")
            return 200, [
                {"name": t, "activityStatus": status} for t, status in collection.tenants.items()
            ]

    def create_tenants(self, name: str, body: Any) -> Reply:
        with self.db.lock:
            collection = self.db.collection(name, follow_alias=False)
            if not collection.multi_tenant:
                return _error(422, f"multi-tenancy is not enabled for class {name!r}")
            for tenant in body or []:
                collection.tenants.setdefault(tenant["name"], "ACTIVE")
            return 200, body

    def get_tenant(self, name: str, tenant: str) -> Reply:
        with self.db.lock:
            collection = self.db.collection(name, follow_alias=False)
            if tenant not in collection.tenants:
                return _error(404, f"tenant {tenant} not found")
            return 200, {"name": tenant, "activityStatus": collection.tenants[tenant]}

    # --- aliases -----------------------------------------------------------------------
    def list_aliases(self, query: dict[str, list[str]]) -> Reply:
        wanted = query.get("class", [None])[0]
        with self.db.lock:
            aliases = [
                {"alias": alias, "class": target}
                for alias, target in sorted(self.db.aliases.items())
                if wanted is None or target == wanted
            ]
        return 200, {"aliases": aliases}

    def create_alias(self, body: Any) -> Reply:
        self.db.create_alias(body["alias"], body["class"])
        return 200, {"alias": body["alias"], "class": body["class"]}

    def get_alias(self, alias: str) -> Reply:
        with self.db.lock:
            if alias not in self.db.aliases:
                return _error(404, f"alias {alias} not found")
            return 200, {"alias": alias, "class": self.db.aliases[alias]}

    def update_alias(self, alias: str, body: Any) -> Reply:
        self.db.replace_alias(alias, body["class"])
        return 200, {"alias": alias, "class": body["class"]}

    def delete_alias(self, alias: str) -> Reply:
        with self.db.lock:
            if self.db.aliases.pop(alias, None) is None:
                return _error(404, f"alias {alias} not found")
        return 204, None


def make_handler(api: RestApi, faults: Faults, api_key: str | None) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake server (HTTP/1.0: one request per connection,
    so stopping the server never leaves a keep-alive connection behind)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            if url.path == STATS_PATH:  # the fake's own, for benchmarks in another process
                self._send(200, {"handler_seconds": faults.handler_seconds, "calls": faults.calls})
                return
            if faults.enter(f"{method} {url.path}"):
                self._send(503, {"error": [{"message": "injected transient failure"}]})
                return
            public = url.path.startswith("/v1/.well-known/") or url.path == "/v1/meta"
            authorised = self.headers.get("authorization") == f"Bearer {api_key}"
            if api_key is not None and not public and not authorised:
                self._send(401, {"code": 401, "message": "anonymous access not enabled"})
                return
            with Timer(faults):
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    self._send(400, {"error": [{"message": "body is not JSON"}]})
                    return
                status, payload = api.dispatch(method, url.path, parse_qs(url.query), body)
            self._send(status, payload, head=method == "HEAD")

        def _send(self, status: int, payload: Any, head: bool = False) -> None:
            data = b"" if payload is None or status == 204 else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            if data and not head:
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_HEAD(self) -> None:
            self._answer("HEAD")

        def do_POST(self) -> None:
            self._answer("POST")

        def do_PUT(self) -> None:
            self._answer("PUT")

        def do_DELETE(self) -> None:
            self._answer("DELETE")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read the call counts in `Faults.calls` instead."""

    return Handler
