"""`helpbot sources add|list|remove` and `helpbot reindex`, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.services import Services
from tests.pipelines.policies import BICYCLE, COWORKING, COWORKING_V2, passages_text, write

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_services(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The commands use the test's services (sharing its loaded embedding model)."""
    monkeypatch.setattr("helpbot.commands.freshness.services", lambda: services)
    return services


def invoke(*args: str) -> tuple[int, str]:
    """Exit code and stdout (stderr carries progress bars and errors)."""
    result = runner.invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.stdout


def test_sources_and_reindex_by_hand(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)

    assert invoke("sources", "add", str(folder))[0] == 0
    result = runner.invoke(app, ["sources", "add", str(folder)])
    assert result.exit_code == 1 and "already watched" in result.output
    assert invoke("sources", "add", str(tmp_path / "missing"))[0] == 2
    assert invoke("sources", "add", "ftp://example.org/x")[0] == 2

    code, output = invoke("reindex", "--stale", "--json")
    assert code == 0, output
    assert json.loads(output)["counts"]["new"] == 2

    write(folder, "coworking.md", COWORKING_V2)
    code, output = invoke("reindex")
    assert code == 0 and "1 changed" in output, output
    assert "EUR 275" in passages_text(services, "coworking desk allowance per month")

    code, output = invoke("sources", "list", "--json")
    (row,) = json.loads(output)
    assert (row["location"], row["files"], row["status"]) == (str(folder.resolve()), 2, "ok")

    code, output = invoke("sources", "remove", str(folder), "--delete-documents")
    assert code == 0 and "2 deleted" in output
    assert passages_text(services, "coworking desk allowance per month") == ""
    assert json.loads(invoke("sources", "list", "--json")[1]) == []


def test_reindex_full_reports_the_rebuild(tmp_path: Path) -> None:
    write(tmp_path / "policies", "coworking.md", COWORKING)
    write(tmp_path / "policies", "bicycle.md", BICYCLE)
    invoke("sources", "add", str(tmp_path / "policies"))
    code, output = invoke("reindex", "--full")
    assert code == 0 and "rebuilt HelpbotChunks_" in output, output
