"""An ASGI gate in front of every console route: no session, no answer; sessions expire.

Gradio's auth= protects its API routes but leaves others open (heartbeats, run pages, a few
helpers) and keeps sessions forever. This gate refuses every request without a live session
except what the login page itself needs, and ends sessions older than the configured age.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset(
    {
        "/",
        "/login",
        "/login/",
        "/logout",
        "/favicon.ico",
        "/theme.css",
        "/gradio_api/theme.css",
        "/robots.txt",
        "/manifest.json",
        "/gradio_api/startup-events",
    }
)
"""The login page and what it loads (its shell, stylesheet, icon), and the start-up probe
Gradio's launch makes (it answers only whether start-up finished); nothing with data."""
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/")
"""Gradio's bundled front-end files."""


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class SessionGate:
    """Wraps Gradio's app: reads its session cookie and its token table (`app.tokens`)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_age_s: float,
        auth_message: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.max_age_s = max_age_s
        self.auth_message = auth_message
        self.clock = clock
        self._first_seen: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or is_public(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        gradio_app = scope.get("app")
        token = self._token(scope, getattr(gradio_app, "cookie_id", ""))
        tokens: dict[str, str] = getattr(gradio_app, "tokens", {})
        if not token or token not in tokens:
            await self._refuse(scope, send, "Not authenticated")
            return
        now = self.clock()
        first = self._first_seen.setdefault(token, now)
        if now - first > self.max_age_s:
            tokens.pop(token, None)
            self._first_seen.pop(token, None)
            log.info("console session expired")
            await self._refuse(scope, send, "Your session has expired: log in again.")
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _token(scope: Scope, cookie_id: str) -> str | None:
        raw = b"; ".join(v for k, v in scope.get("headers", []) if k == b"cookie")
        if not raw or not cookie_id:
            return None
        cookies = SimpleCookie()
        try:
            cookies.load(raw.decode("latin-1"))
        except Exception:  # a malformed cookie header is simply no session
            return None
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            if name in cookies:
                return cookies[name].value
        return None

    async def _refuse(self, scope: Scope, send: Send, error: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        body = json.dumps({"detail": {"error": error, "auth_message": self.auth_message}})
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
