"""`python -m pipelines.training` (the `accelerate launch` entry point): bad input is a clear
message and exit status 1, overrides reach the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.training.__main__ import main
from pipelines.training.testing import write_synthetic_dataset


def test_an_empty_dataset_fails_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = write_synthetic_dataset(tmp_path / "ds", train=0, validation=0)

    status = main(["--dataset", str(empty), "--output", str(tmp_path / "a"), "--base-model", "x"])

    assert status == 1
    assert "training failed" in capsys.readouterr().out
    assert not (tmp_path / "a").exists()


def test_a_bad_override_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--dataset", str(tmp_path), "--output", str(tmp_path / "a"), "--base-model", "x"]

    assert main([*args, "--set", "batch_size=0"]) == 1
    assert "batch_size must be at least 1" in capsys.readouterr().out
    assert main([*args, "--config", "naive", "--set", "nonsense=1"]) == 1
    assert "unknown training config field" in capsys.readouterr().out
