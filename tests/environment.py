"""A fixture for tests of settings: no HELPBOT_ variable and no .env file in the way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No HELPBOT_ variable and no .env file: every setting is its default."""
    for name in list(os.environ):
        if name.startswith("HELPBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
