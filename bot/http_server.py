"""HTTP mode: Slack's requests on POST /slack/events (Starlette + uvicorn); /healthz, /readyz
and /metrics for the load balancer and Prometheus."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from knowledge.observability import Check, health_response

EVENTS_PATH = "/slack/events"
# Slack's event and interaction payloads are a few kB; anything far bigger is refused before
# it is read (the signature can only be checked on the whole body).
MAX_BODY_BYTES = 1024 * 1024


class BodyTooLargeError(Exception):
    """The request body passed MAX_BODY_BYTES."""


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refusing (before reading it all) one over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError
    body = bytearray()
    async for piece in request.stream():
        body.extend(piece)
        if len(body) > limit:
            raise BodyTooLargeError
    return bytes(body)


def starlette_app(app: App, checks: Mapping[str, Check] | None = None) -> Starlette:
    """Bolt's dispatch runs in a worker thread so one slow request never holds the others."""
    probes = dict(checks or {})

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_limited(request)
        except BodyTooLargeError:
            return PlainTextResponse("request body too large", status_code=413)
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def health(request: Request) -> Response:
        answer = await run_in_threadpool(health_response, request.url.path, probes)
        assert answer is not None  # only the health paths are routed here
        status, content_type, body = answer
        return Response(body, status_code=status, media_type=content_type)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, slack_events, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
            Route("/readyz", health, methods=["GET"]),
            Route("/metrics", health, methods=["GET"]),
        ]
    )


def serve(app: App, host: str, port: int, checks: Mapping[str, Check] | None = None) -> None:
    """Serve until interrupted (one replica behind a load balancer)."""
    uvicorn.run(
        starlette_app(app, checks), host=host, port=port, log_level="warning", access_log=False
    )


class BackgroundServer:
    """The same server in a background thread on a given (or random) port: tests, benchmarks."""

    def __init__(
        self,
        app: App,
        host: str = "127.0.0.1",
        port: int = 0,
        checks: Mapping[str, Check] | None = None,
    ) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            starlette_app(app, checks),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="helpbot-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{EVENTS_PATH}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()
