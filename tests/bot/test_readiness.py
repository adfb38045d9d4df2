"""`python -m bot --http`: /readyz reports the database and store truthfully (503 naming the
failing check when the database goes away), /healthz stays up."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import httpx
import pytest

import bot.__main__ as bot_main
from bot.deps import Deps
from bot.http_server import BackgroundServer
from knowledge.db.connection import Database
from knowledge.observability import Check
from knowledge.settings import Settings
from tests.bot.conftest import Clock, make_config
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.slack_payloads import SIGNING_SECRET


@pytest.fixture
def environment(tmp_path: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean HELPBOT_ environment: Slack tokens, a migrated SQLite file in its own folder."""
    for name in [n for n in os.environ if n.startswith("HELPBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env
    folder = tmp_path / "db"
    folder.mkdir()
    shutil.copyfile(migrated_template, folder / "helpbot.db")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("HELPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HELPBOT_DATABASE_URL", f"sqlite:///{folder / 'helpbot.db'}")
    monkeypatch.setenv("HELPBOT_SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("HELPBOT_SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setattr(bot_main, "configure_logging", lambda *args: None, raising=False)
    return folder


def readyz(server: BackgroundServer) -> tuple[int, dict[str, object]]:
    response = httpx.get(f"http://{server.host}:{server.port}/readyz", timeout=10)
    return response.status_code, response.json()


def test_readyz_names_the_database_once_it_is_unreachable(
    environment: Path,
    slack: FakeSlackApi,
    answers: FakeAnswerService,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def deps(settings: Settings) -> Deps:
        return Deps(make_config(slack), Database(settings.sql_url), answers, clock=clock)

    seen: list[tuple[int, dict[str, object]]] = []

    def serve(app: object, host: str, port: int, checks: dict[str, Check] | None = None) -> None:
        server = BackgroundServer(app, checks=checks).start()  # type: ignore[arg-type]
        try:
            seen.append(readyz(server))
            shutil.rmtree(environment)  # the database goes away
            seen.append(readyz(server))
            health = httpx.get(f"http://{server.host}:{server.port}/healthz", timeout=10)
            assert health.status_code == 200  # alive, only not ready
        finally:
            server.stop()

    monkeypatch.setattr(bot_main, "build_deps", deps)
    monkeypatch.setattr("bot.http_server.serve", serve)
    assert bot_main.main(["--http", "--port", "0"]) == 0

    [(up, before), (down, after)] = seen
    assert (up, before) == (200, {"ready": True, "checks": {"database": "ok", "store": "ok"}})
    assert down == 503 and after["ready"] is False
    assert after["checks"] == {"database": "unavailable (OperationalError)", "store": "ok"}
    assert json.dumps(after).count("helpbot.db") == 0  # the verdict names no path or URL


def test_a_database_that_stays_down_at_start_exits_3_with_one_sentence(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HELPBOT_DATABASE_URL", f"postgresql+psycopg://u:pw@127.0.0.1:{port}/db")
    monkeypatch.setenv("HELPBOT_DB_CONNECT_TIMEOUT_S", "1")

    def never(settings: Settings) -> Deps:
        raise AssertionError("the bot was built although the database is down")

    monkeypatch.setattr(bot_main, "build_deps", never)
    assert bot_main.main(["--http", "--port", "0"]) == 3
    err = capsys.readouterr().err.strip()
    assert "not reachable" in err and "HELPBOT_DATABASE_URL" in err
    assert "pw@" not in err and len(err.splitlines()) == 1


def test_socket_mode_serves_the_health_endpoints_on_the_health_port(
    environment: Path,
    slack: FakeSlackApi,
    answers: FakeAnswerService,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HELPBOT_SLACK_APP_TOKEN", "xapp-test")
    monkeypatch.setenv("HELPBOT_HEALTH_PORT", str(port))
    base = f"http://127.0.0.1:{port}"
    seen: list[tuple[int, object]] = []

    def connected(deps: Deps) -> None:  # Socket Mode would serve until interrupted
        response = httpx.get(base + "/readyz", timeout=10)
        seen.append((response.status_code, response.json()))

    def deps(settings: Settings) -> Deps:
        return Deps(make_config(slack), Database(settings.sql_url), answers, clock=clock)

    monkeypatch.setattr(bot_main, "build_deps", deps)
    monkeypatch.setattr(bot_main, "run_socket_mode", connected)
    assert bot_main.main([]) == 0
    assert seen == [(200, {"ready": True, "checks": {"database": "ok", "store": "ok"}})]
    with pytest.raises(httpx.ConnectError):  # stopped with the bot
        httpx.get(base + "/healthz", timeout=2)
