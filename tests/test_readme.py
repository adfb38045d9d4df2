"""README.md stays true of the code: settings and their defaults, and every top-level command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from helpbot.cli import app
from knowledge.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
FIELDS = Settings.model_fields

NOT_SETTINGS = {"PUBLIC_PORT", "TEST_DATABASE", "TEST_POSTGRES_URL", "TEST_STORE"}
"""HELPBOT_ variables the README names that are not Settings fields: docker compose's published
port and the test suite's tier switches."""

DESCRIBED_DEFAULTS = {
    "SQLite in the data dir": "",
    "empty (LanceDB)": "",
    "shipped MiniLM-L6-v2": "",
}
"""Configuration-table defaults written as words, and the field default each stands for."""


def _same(readme_value: str, default: Any) -> bool:
    if isinstance(default, Path):
        return Path(readme_value) == default
    if isinstance(default, bool):
        return readme_value.lower() == str(default).lower()
    if isinstance(default, int | float):
        try:
            return float(readme_value) == float(default)
        except ValueError:
            return False
    return readme_value == str(default)


def _table_rows() -> list[tuple[str, str]]:
    return re.findall(r"^\| `HELPBOT_([A-Z0-9_]+)` \| ([^|]+?) \|", README, re.MULTILINE)


def test_the_configuration_table_is_found() -> None:
    assert len(_table_rows()) >= 5


@pytest.mark.parametrize(("name", "cell"), _table_rows())
def test_configuration_table_defaults_match_settings(name: str, cell: str) -> None:
    field = name.lower()
    assert field in FIELDS, f"README's table names HELPBOT_{name}, which is no setting"
    default = FIELDS[field].default
    if cell.startswith("`"):
        assert _same(cell.strip("`"), default), f"HELPBOT_{name}: README {cell}, code {default!r}"
    else:
        assert cell in DESCRIBED_DEFAULTS, f"HELPBOT_{name}: describe {cell!r} in this test"
        assert str(default) == DESCRIBED_DEFAULTS[cell], f"HELPBOT_{name} default is {default!r}"


def test_every_variable_the_readme_names_is_a_setting() -> None:
    named = set(re.findall(r"HELPBOT_([A-Z0-9_]+)", README)) - NOT_SETTINGS
    unknown = sorted(n for n in named if n.lower() not in FIELDS)
    assert not unknown, f"README names variables that no setting reads: {unknown}"


def test_numeric_defaults_in_the_prose_match_settings() -> None:
    """`HELPBOT_X` (N) and `HELPBOT_X` (default N) in the text give the field's default."""
    pattern = r"`HELPBOT_([A-Z0-9_]+)`\s*\((?:default\s*)?`?([0-9][0-9.]*)`?\)"
    checked = 0
    for name, value in re.findall(pattern, README):
        if name in NOT_SETTINGS:
            continue
        default = FIELDS[name.lower()].default
        assert _same(value, default), f"HELPBOT_{name}: README says {value}, code {default!r}"
        checked += 1
    assert checked >= 5


def test_every_top_level_command_is_in_the_readme() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    missing = [
        name for name in sorted(commands) if not re.search(rf"helpbot {name}\b|`{name}`", README)
    ]
    assert not missing, f"README never mentions helpbot {missing}"
