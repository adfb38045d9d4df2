"""Fix 2 and bad input: symbolic links inside ingested or watched folders are never followed
(a link named policy.md pointing at a .env must not publish its token), link loops are never
entered, and a file that changes while it is read is read again or refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.db import documents as registry
from knowledge.ingest import read_regular_file
from knowledge.services import Services
from pipelines.reindex import reindex
from tests.pipelines.policies import COWORKING, passages_text, watch, write

TOKEN = "xoxb-9999-planted-slack-token"


def folder_with_links(tmp_path: Path) -> Path:
    (tmp_path / ".env").write_text(f"HELPBOT_SLACK_BOT_TOKEN={TOKEN}\n")
    folder = tmp_path / "policies"
    write(folder, "coworking.md", COWORKING)
    (folder / "policy.md").symlink_to(tmp_path / ".env")
    (folder / "nested").mkdir()
    (folder / "nested" / "loop").symlink_to(folder)  # a loop back to the top
    (folder / "outside").symlink_to(tmp_path, target_is_directory=True)
    return folder


def indexed_names(services: Services) -> list[str]:
    with services.db.session() as session:
        return sorted(
            v.file_name for d in registry.list_all(session) for v in d.versions if d.live_version
        )


def test_ingesting_a_folder_skips_its_links(services: Services, tmp_path: Path) -> None:
    folder = folder_with_links(tmp_path)
    result = CliRunner().invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert indexed_names(services) == ["coworking.md"]
    assert TOKEN not in passages_text(services, "slack bot token", k=20)


def test_a_watched_folder_with_links_and_a_loop_indexes_only_its_files(
    services: Services, tmp_path: Path
) -> None:
    folder = folder_with_links(tmp_path)
    watch(services, folder)
    report = reindex(services)
    assert [s.error for s in report.sources] == [None]
    assert indexed_names(services) == ["coworking.md"]
    assert TOKEN not in passages_text(services, "slack bot token", k=20)


def test_a_file_swapped_for_a_link_after_listing_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "policy.md"
    target.write_text("fine")
    secret = tmp_path / ".env"
    secret.write_text(TOKEN)
    target.unlink()
    target.symlink_to(secret)
    with pytest.raises(OSError):
        read_regular_file(target)


def test_a_file_rewritten_while_read_is_read_again_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.md"
    path.write_text("version one")
    real_fstat = os.fstat
    calls = {"n": 0, "changing_reads": 1}

    def fstat(descriptor: int) -> os.stat_result:
        """Every second call (after the read) sees a new mtime while a writer is active."""
        calls["n"] += 1
        result = real_fstat(descriptor)
        if calls["n"] % 2 == 0 and calls["changing_reads"] > 0:
            calls["changing_reads"] -= 1
            values = list(result)
            values[8] += 1  # st_mtime
            return os.stat_result(values, {"st_mtime_ns": result.st_mtime_ns + 1})
        return result

    monkeypatch.setattr(os, "fstat", fstat)
    assert read_regular_file(path) == b"version one"  # read again after one torn read
    calls["changing_reads"] = 99
    with pytest.raises(OSError, match="kept changing"):
        read_regular_file(path)
