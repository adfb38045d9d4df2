"""Fix 7 and health: the HTTP endpoint refuses a huge body before reading it; /healthz, /readyz
and /metrics answer on the bot's port."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_bolt import App

from bot.http_server import MAX_BODY_BYTES, BackgroundServer
from knowledge.observability import QUESTIONS

SECRET = "test-signing-secret"


def down() -> None:
    raise ConnectionRefusedError("weaviate:8080")


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    app = App(token="xoxb-test", signing_secret=SECRET, token_verification_enabled=False)
    running = BackgroundServer(app, checks={"database": lambda: None, "store": down}).start()
    yield running
    running.stop()


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/json",
    }


def test_a_50_mb_body_is_refused_with_413(server: BackgroundServer) -> None:
    body = b"{" + b" " * (50 * 1024 * 1024) + b"}"
    response = httpx.post(server.url, content=body, headers=signed(body), timeout=30)
    assert response.status_code == 413


def test_a_body_without_a_length_is_cut_off_at_the_limit(server: BackgroundServer) -> None:
    def pieces() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 8):
            yield b" " * 65536

    response = httpx.post(server.url, content=pieces(), timeout=30)
    assert response.status_code == 413


def test_a_small_request_still_reaches_the_signature_check(server: BackgroundServer) -> None:
    body = b'{"type": "url_verification", "challenge": "abc"}'
    forged = httpx.post(server.url, content=body, headers=signed(body + b"x"), timeout=10)
    assert forged.status_code == 401
    good = httpx.post(server.url, content=body, headers=signed(body), timeout=10)
    assert good.status_code == 200 and "abc" in good.text


def test_health_readiness_and_metrics(server: BackgroundServer) -> None:
    base = f"http://{server.host}:{server.port}"
    assert httpx.get(f"{base}/healthz").text == "ok"
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["store"] == "unavailable (ConnectionRefusedError)"
    QUESTIONS.labels(surface="mention").inc()
    metrics = httpx.get(f"{base}/metrics").text
    assert 'helpbot_questions_total{surface="mention"}' in metrics
    assert "helpbot_stage_seconds" in metrics
