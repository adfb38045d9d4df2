"""Bad input at the first run: one sentence that says what to do, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.settings import Settings


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_an_unwritable_data_directory_is_one_sentence(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HELPBOT_DATA_DIR", str(blocker / "data"))  # cannot be created
    result = CliRunner().invoke(app, ["docs", "list"])
    assert result.exit_code == 2
    output = _flat(result.output)
    assert f"cannot write its data directory {blocker / 'data'}" in output
    assert "set HELPBOT_DATA_DIR to a folder you can write" in output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)
    assert blocker.read_text() == "not a folder"  # nothing lost


def test_a_writable_data_directory_is_created(settings: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["docs", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert settings.data_dir.is_dir()
    assert [p.name for p in settings.data_dir.iterdir() if p.name.startswith("tmp")] == []
