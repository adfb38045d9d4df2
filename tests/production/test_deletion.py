"""Fix 8 and fix 7: deleting a document a watched folder still holds asks what to do at the
source (or it would come back at the next re-index); the CLI's writes take the writer lease."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from helpbot.commands import removal
from knowledge.db import documents as registry
from knowledge.db import leases
from knowledge.db.document_models import utcnow
from knowledge.db.writer import WRITER_LEASE
from knowledge.services import Services
from pipelines.reindex import reindex
from tests.pipelines.policies import BICYCLE, COWORKING, PARKING, passages_text, watch, write

COWORKING_Q = "coworking desk allowance per month"
BICYCLE_Q = "bicycle repairs paid per year"


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def served(services: Services) -> set[str]:
    with services.db.session() as session:
        return {d.id for d in registry.list_all(session) if d.status != "deleted"}


@pytest.fixture
def folder(services: Services, tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    watch(services, folder)
    reindex(services)
    assert served(services) == {"coworking", "bicycle"}
    return folder


def test_deleting_a_watched_document_needs_a_choice(services: Services, folder: Path) -> None:
    code, output = run("docs", "delete", "coworking", "--yes")
    assert code == 2
    assert "--remove-at-source" in output and "--exclude" in output
    assert "coworking" in served(services)
    assert "EUR 150" in passages_text(services, COWORKING_Q)


def test_an_excluded_document_stays_deleted_after_re_indexing(
    services: Services, folder: Path
) -> None:
    code, output = run("docs", "delete", "coworking", "--exclude", "--yes")
    assert code == 0, output
    assert "excluded from" in output
    reindex(services, deep=True)
    assert served(services) == {"bicycle"}
    assert (folder / "coworking.md").exists()
    assert "EUR 150" not in passages_text(services, COWORKING_Q)


def test_removing_at_the_source_deletes_the_file(services: Services, folder: Path) -> None:
    code, output = run("docs", "delete", "bicycle", stdin="r\n")  # asked on a terminal
    assert code == 0, output
    assert not (folder / "bicycle.md").exists()
    reindex(services)
    assert served(services) == {"coworking"}
    assert "EUR 90" not in passages_text(services, BICYCLE_Q)


def test_sources_exclude_keeps_a_new_file_out(services: Services, folder: Path) -> None:
    write(folder, "parking.md", PARKING)
    code, output = run("sources", "exclude", str(folder / "parking.md"))
    assert code == 0, output
    reindex(services)
    assert served(services) == {"coworking", "bicycle"}
    code, output = run("sources", "exclude", str(folder.parent / "elsewhere.md"))
    assert code == 1 and "not in any watched source" in output


def test_cli_writes_wait_for_the_writer_lease(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(removal, "WRITER_WAIT_S", 0.0)
    assert leases.acquire_lease(
        services.db, WRITER_LEASE, "scheduler@host", now=utcnow(), ttl=timedelta(minutes=5)
    )
    write(tmp_path / "new", "parking.md", PARKING)
    code, output = run("ingest", str(tmp_path / "new"))
    assert code == 1
    assert "scheduler@host" in output
    assert served(services) == set()
