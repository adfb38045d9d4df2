"""HELPBOT_LOG_FORMAT=json reaches every entry point: `python -m bot`, the `helpbot` CLI and
the scheduler log one JSON object per line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pipelines.scheduler as scheduler
from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [["-m", "bot", "--http"], ["-m", "helpbot", "bot", "--http"]],
    ids=["python -m bot", "helpbot bot"],
)
def test_json_logs_while_waiting_for_the_database(tmp_path: Path, command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")} | {
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "HELPBOT_DATA_DIR": str(tmp_path),
        "HELPBOT_DATABASE_URL": f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/db",
        "HELPBOT_DB_CONNECT_TIMEOUT_S": "2.5",  # two retries, each logged
        "HELPBOT_LOG_FORMAT": "json",
        "HELPBOT_SLACK_BOT_TOKEN": "xoxb-test",
        "HELPBOT_SLACK_SIGNING_SECRET": "secret",
    }
    result = subprocess.run(
        [sys.executable, *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    retries = [e for e in entries if e["logger"] == "knowledge.db.connection"]
    assert len(retries) >= 1, result.stderr
    assert {e["level"] for e in retries} == {"WARNING"}
    assert all(e["time"].endswith("+00:00") and "not reachable" in e["event"] for e in retries)
    assert "pw@" not in result.stderr


def test_the_scheduler_configures_logging_from_its_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HELPBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HELPBOT_LOG_FORMAT", "json")
    monkeypatch.setenv("HELPBOT_LOG_LEVEL", "WARNING")
    configured: list[tuple[str, str]] = []
    monkeypatch.setattr(
        scheduler, "configure_logging", lambda *args: configured.append(args), raising=False
    )

    class Stops:
        def __init__(self, services: Any) -> None:
            self.services = services

        def request_stop(self) -> None: ...

        def run_forever(self) -> None:
            assert configured, "logging was not configured before the scheduler ran"

        def stop(self) -> None: ...

    monkeypatch.setattr(scheduler, "FreshnessScheduler", Stops)
    monkeypatch.setattr(scheduler.signal, "signal", lambda *args: None)
    scheduler.main()
    assert configured == [("WARNING", "json")]
