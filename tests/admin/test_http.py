"""The console over HTTP: every route refuses a request without a session, roles hold per
endpoint, failed logins are throttled, a non-loopback bind needs an admin, sessions expire."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from admin.__main__ import build_context
from admin.server import ConsoleStartError, launch, prepare_admins
from admin.session_gate import SessionGate, is_public
from knowledge.db import admins
from knowledge.services import Services
from knowledge.settings import Settings
from tests.admin.http_client import call, dummy, login

PASSWORD = "correct horse battery"
USERS = {"vic": "viewer", "eddie": "editor", "tina": "trainer"}
EDITOR = {
    "upload",
    "replace",
    "review",
    "delete",
    "reindex",
    "add_source",
    "remove_source",
    "run_now",
    "retry_notifications",
    "curation_approve",
    "curation_reject",
    "curation_reopen",
    "curation_bulk_approve",
    "curation_bulk_reject",
    "curation_correct",
    "curation_sync",
}
TRAINER = {"dataset_build", "train", "cancel_job", "evaluate", "promote", "rollback"}
VIEWER = {
    "ask",
    "documents",
    "chunks",
    "sources",
    "exchanges",
    "exchange",
    "training",
    "job",
    "dataset_preview",
    "models",
    "model_version",
    "insights",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Services]]:
    data = tmp_path_factory.mktemp("console")
    settings = Settings(data_dir=Path(data), generator="extractive", admin_max_failed_logins=3)
    services = Services.from_settings(settings)
    ctx = build_context(services)
    with services.db.session() as session:
        for name, role in USERS.items():
            admins.add_user(session, name, PASSWORD, role, by="test")
    port = free_port()
    app = launch(ctx, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}", app, services
    app.close()
    services.close()


def routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app serves: its API schema plus its plain routes."""
    found = {
        (method.upper(), path)
        for path, operations in app.app.openapi()["paths"].items()
        for method in operations
    }
    for route in app.app.routes:
        path = getattr(route, "path", None)
        for method in getattr(route, "methods", None) or {"GET"}:
            if path:
                found.add((method, path))
    return sorted((m, p) for m, p in found if m != "HEAD")


def test_every_route_refuses_a_request_without_a_session(server: tuple[str, Any, Services]) -> None:
    url, app, _ = server
    seen = routes(app)
    assert ("POST", "/gradio_api/call/{api_name}") in seen and len(seen) > 40
    with httpx.Client(base_url=url, timeout=10) as anonymous:
        for method, path in seen:
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            with anonymous.stream(method, concrete, json={} if method == "POST" else None) as r:
                if is_public(path) or path.startswith(("/assets/", "/static/", "/svelte/")):
                    assert r.status_code in (200, 302, 404, 422), (method, path, r.status_code)
                    continue
                assert r.status_code == 401, (method, path, r.status_code)


def test_the_public_pages_hold_no_data(server: tuple[str, Any, Services]) -> None:
    url, _, _ = server
    with httpx.Client(base_url=url) as anonymous:
        page = anonymous.get("/").text
        assert "eddie" not in page and "Conversations" not in page
        assert anonymous.get("/config").status_code == 401
        assert anonymous.get("/gradio_api/info").status_code == 401


def test_each_endpoint_checks_the_role_of_the_session(server: tuple[str, Any, Services]) -> None:
    url, _, _ = server
    viewer, editor = login(url, "vic", PASSWORD), login(url, "eddie", PASSWORD)
    info = viewer.get("/gradio_api/info").json()["named_endpoints"]
    names = {name.lstrip("/") for name in info}
    assert names == EDITOR | TRAINER | VIEWER, names ^ (EDITOR | TRAINER | VIEWER)
    for name, spec in info.items():
        endpoint = name.lstrip("/")
        data = [dummy(p) for p in spec["parameters"]]
        kind, result = call(viewer, endpoint, data)
        if endpoint in EDITOR:
            assert (kind, result) == ("error", "This needs the editor role; you are a viewer."), (
                name
            )
        elif endpoint in TRAINER:
            assert (kind, result) == ("error", "This needs the trainer role; you are a viewer."), (
                name
            )
            assert call(editor, endpoint, data) == (
                "error",
                "This needs the trainer role; you are a editor.",
            ), name
        else:
            assert "role" not in str(result), (name, result)


def test_a_removed_admin_loses_access_at_the_next_action(server: tuple[str, Any, Services]) -> None:
    url, _, services = server
    with services.db.session() as session:
        admins.add_user(session, "temp", PASSWORD, "editor", by="test")
    client = login(url, "temp", PASSWORD)
    assert call(client, "documents", ["", 1])[0] == "complete"
    with services.db.session() as session:
        admins.remove_user(session, "temp", by="test")
    assert call(client, "documents", ["", 1]) == (
        "error",
        "Your admin account no longer exists: ask an owner to add you again.",
    )


def test_wrong_passwords_are_rate_limited(server: tuple[str, Any, Services]) -> None:
    url, _, services = server
    with services.db.session() as session:
        admins.add_user(session, "target", PASSWORD, "viewer", by="test")
    with httpx.Client(base_url=url) as client:
        for _ in range(3):
            bad = client.post("/login", data={"username": "target", "password": "guess guess"})
            assert bad.status_code == 400
        locked = client.post("/login", data={"username": "target", "password": PASSWORD})
        assert locked.status_code == 400  # locked out: even the right password is refused


def test_a_public_bind_needs_an_admin_and_loopback_gets_a_first_one(tmp_path: Path) -> None:
    services = Services.from_settings(Settings(data_dir=tmp_path, generator="extractive"))
    ctx = build_context(services)
    with pytest.raises(ConsoleStartError, match=r"refusing to serve the console on 0\.0\.0\.0"):
        prepare_admins(ctx, "0.0.0.0")
    first = prepare_admins(ctx, "127.0.0.1")
    assert first is not None and first.name == "admin" and first.password
    with services.db.session() as session:
        assert admins.check_login(session, "admin", first.password, now=ctx.now()).ok
    assert prepare_admins(ctx, "0.0.0.0") is None  # an admin exists now
    services.close()


def test_sessions_expire_after_their_age() -> None:
    class FakeGradio:
        cookie_id = "abc"
        tokens: ClassVar[dict[str, str]] = {"t1": "vic"}

    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])

    clock = [0.0]
    gate = SessionGate(inner, max_age_s=60, clock=lambda: clock[0])
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def request(cookie: bytes | None) -> None:
        headers = [(b"cookie", cookie)] if cookie else []
        scope = {"type": "http", "path": "/config", "headers": headers, "app": FakeGradio()}
        asyncio.run(gate(scope, None, send))  # type: ignore[arg-type]

    request(b"access-token-abc=t1")
    clock[0] = 30
    request(b"access-token-abc=t1")
    assert seen == ["/config", "/config"]
    clock[0] = 61
    request(b"access-token-abc=t1")
    assert sent[0]["status"] == 401 and b"expired" in sent[1]["body"]
    assert "t1" not in FakeGradio.tokens
    request(None)
    assert seen == ["/config", "/config"] and sent[2]["status"] == 401
