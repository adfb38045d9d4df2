"""`python -m admin` at start: logging as every helpbot process sets it up, and a database
that is not there yet is waited for, then reported as a sentence (exit 3) before any service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import admin.__main__ as console_main
from knowledge.services import Services


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """main()'s environment in a clean folder; records logging and serving instead of doing them."""
    seen: dict[str, Any] = {}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HELPBOT_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("HELPBOT_LOG_FORMAT", "json")
    monkeypatch.setattr(
        console_main, "configure_logging", lambda level, fmt: seen.update(logging=(level, fmt))
    )

    def serve(services: Services, host: str, port: int, *, block: bool = True) -> None:
        seen["served"] = (host, port)

    monkeypatch.setattr(console_main, "serve", serve)
    return seen


def test_a_missing_database_is_a_sentence_and_no_service_starts(
    started: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HELPBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    monkeypatch.setenv("HELPBOT_DB_CONNECT_TIMEOUT_S", "0")
    assert console_main.main(["--port", "7999"]) == 3
    assert "is not reachable" in capsys.readouterr().err
    assert started == {"logging": ("DEBUG", "json")}  # configured first, never served


def test_a_reachable_database_starts_the_console(started: dict[str, Any]) -> None:
    assert console_main.main(["--port", "7999"]) == 0
    assert started == {"logging": ("DEBUG", "json"), "served": ("127.0.0.1", 7999)}
