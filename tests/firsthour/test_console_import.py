"""`helpbot up --setup`: the console's import runs beside the set-up, never in its way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpbot.commands import runtime


def _record_up(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(runtime, "_import_console_beside_setup", lambda: calls.append("import"))
    monkeypatch.setattr(runtime, "first_run_setup", lambda folders: calls.append("setup"))
    monkeypatch.setattr(runtime, "_started_services", lambda: calls.append("services") or None)
    monkeypatch.setattr(runtime, "_up", lambda *args, **kwargs: calls.append("up"))
    monkeypatch.setattr(runtime, "_no_log_file", runtime._no_log_file)
    monkeypatch.setattr(runtime.sys.stdin, "isatty", lambda: False)
    return calls


def test_the_console_import_starts_before_the_set_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _record_up(monkeypatch)
    runtime.up(scheduler=False, admin_console=True, worker=False, setup=[tmp_path])
    assert calls == ["import", "setup", "services", "up"]


def test_no_console_no_import_and_no_set_up_no_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _record_up(monkeypatch)
    runtime.up(scheduler=False, admin_console=False, worker=False, setup=[tmp_path])
    runtime.up(scheduler=False, admin_console=True, worker=False, setup=None)
    assert calls == ["setup", "services", "up", "services", "up"]


def test_a_failing_console_import_is_left_to_the_console_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imported: list[str] = []

    def broken(name: str) -> Any:
        imported.append(name)
        raise ImportError("gradio is broken")

    monkeypatch.setattr(runtime.importlib, "import_module", broken)
    thread = runtime._import_console_beside_setup()
    thread.join(timeout=10)
    assert not thread.is_alive() and imported == ["admin.__main__"]
