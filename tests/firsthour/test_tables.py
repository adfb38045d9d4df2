"""Tables never cut ids: `docs list` in an 80-column terminal still shows a long id whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.app import console
from helpbot.cli import app
from knowledge.settings import Settings

LONG_ID = "hr-parental-leave-and-adoption-policy-2027"  # 42 characters: over half of 80


def _ingest_long_named(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / f"{LONG_ID}.md").write_text(
        "---\ntitle: Parental leave and adoption leave for every employee of the company\n---\n"
        "# Parental leave\n\nEvery parent gets sixteen weeks of paid leave after a birth or an "
        "adoption, to be taken within the first year.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 0, result.output


def test_docs_list_keeps_a_long_id_whole_at_80_columns(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_long_named(tmp_path)
    listed = CliRunner().invoke(app, ["docs", "list", "--json"])
    assert LONG_ID in listed.stdout  # the id the registry gave the file
    monkeypatch.setattr(console, "_width", 80)
    result = CliRunner().invoke(app, ["docs", "list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert _first_column(result.output) == LONG_ID  # folded onto lines, never cut with "…"


def _first_column(table: str) -> str:
    """The body cells of a one-row table's first column, joined."""
    return "".join(line.split("│")[1].strip() for line in table.splitlines() if line[:1] == "│")


def test_an_id_wider_than_the_table_allows_is_folded_not_cut() -> None:
    from rich.console import Console

    from helpbot.tables import id_table

    very_long = "x" * 30 + "-policy-" + "y" * 40
    narrow = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    table = id_table(narrow, "id", [very_long], "title", "status")
    table.add_row(very_long, "A title", "indexed")
    narrow.print(table)
    assert _first_column(narrow.export_text()) == very_long


def test_an_id_that_fits_stays_on_one_line() -> None:
    from rich.console import Console

    from helpbot.tables import id_table

    narrow = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    table = id_table(narrow, "id", ["parental-leave-policy-2027"], "title", "status", "chunks")
    table.add_row("parental-leave-policy-2027", "Parental leave for every employee", "ok", "9")
    narrow.print(table)
    assert "parental-leave-policy-2027" in narrow.export_text()
