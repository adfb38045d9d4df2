"""Quiet logs: migrations say nothing unless debugging; `helpbot up`'s prompt logs to a file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from knowledge.db.connection import Database


def _alembic_info(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("alembic")]


def test_migrations_log_nothing_at_info(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    Database(f"sqlite:///{tmp_path / 'a.db'}").upgrade()
    assert _alembic_info(caplog) == []


def test_migrations_log_each_revision_when_debugging(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    Database(f"sqlite:///{tmp_path / 'b.db'}").upgrade()
    assert any("Running upgrade" in line for line in _alembic_info(caplog))
