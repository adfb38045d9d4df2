"""The re-index job: new, changed, removed and unchanged files; failing sources lose nothing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge.db import documents as registry
from knowledge.db import watched_sources
from knowledge.services import Services
from pipelines.reindex import reindex
from tests.pipelines.fakes import PolicyServer
from tests.pipelines.policies import (
    BICYCLE,
    COWORKING,
    COWORKING_V2,
    PARKING,
    passages_text,
    sources_of,
    watch,
    write,
)


class EncodeSpy:
    """Counts what the embedder is asked to embed during ingestion."""

    def __init__(self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        real = services.embedder.encode

        def encode(texts: Sequence[str]) -> np.ndarray:
            self.texts.extend(texts)
            return real(texts)

        monkeypatch.setattr(services.embedder, "encode", encode)


def document(services: Services, folder: Path, name: str) -> registry.Document:
    with services.db.session() as session:
        doc = registry.by_source(session, (folder / name).resolve().as_uri())
        assert doc is not None
        return doc


def test_only_changes_are_embedded_and_vanished_files_leave_search(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "policies"
    write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    write(folder, "parking.md", PARKING)
    watch(services, folder)
    first = reindex(services).sources[0]
    assert (first.status, first.new, first.changed, first.removed) == ("ok", 3, 0, 0)
    assert "parking.md" in sources_of(services, "How many parking spaces does the office have?")
    checked_before = document(services, folder, "bicycle.md").checked_at
    parking_id = document(services, folder, "parking.md").id

    write(folder, "coworking.md", COWORKING_V2)
    (folder / "parking.md").unlink()
    spy = EncodeSpy(services, monkeypatch)
    second = reindex(services).sources[0]

    assert (second.new, second.changed, second.removed, second.unchanged) == (0, 1, 1, 1)
    assert spy.texts and all("Coworking" in text for text in spy.texts), "only the change"
    answer = passages_text(services, "coworking desk allowance per month")
    assert "EUR 275" in answer and "EUR 150" not in answer
    # The deleted file's chunks are gone and its questions find nothing of it.
    assert services.store.document_versions(parking_id) == set()
    assert "parking.md" not in sources_of(services, "How many parking spaces does the office have?")
    assert document(services, folder, "parking.md").status == "deleted"
    # Unchanged documents only had their check time moved.
    bicycle = document(services, folder, "bicycle.md")
    assert bicycle.live_version == 1 and bicycle.checked_at and checked_before
    assert bicycle.checked_at > checked_before


def test_a_touched_file_with_the_same_content_is_not_re_indexed(
    services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    path = write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    watch(services, folder)
    reindex(services)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    report = reindex(services).sources[0]
    assert (report.changed, report.unchanged) == (0, 2)
    assert document(services, folder, "coworking.md").live_version == 1


def test_a_deep_check_catches_a_change_that_kept_size_and_mtime(
    services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    path = write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    watch(services, folder)
    reindex(services)
    stat = path.stat()
    path.write_text(COWORKING.replace("EUR 150", "EUR 160"))  # same length
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert reindex(services).sources[0].changed == 0, "the fast check trusts size and mtime"
    assert reindex(services, deep=True).sources[0].changed == 1
    assert "EUR 160" in passages_text(services, "coworking desk allowance per month")


def test_an_unreachable_folder_keeps_every_document(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "drive"
    write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    watch(services, folder)
    reindex(services)
    folder.rename(tmp_path / "unmounted")

    report = reindex(services)

    assert report.result == "partial" and report.sources[0].status == "error"
    assert "not reachable" in (report.sources[0].error or "")
    assert "EUR 150" in passages_text(services, "coworking desk allowance per month")
    with services.db.session() as session:
        (source,) = watched_sources.list_sources(session)
        assert source.status == "error" and source.last_error


def test_an_emptied_folder_is_an_error_not_a_mass_deletion(
    services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "drive"
    write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    watch(services, folder)
    reindex(services)
    for path in folder.iterdir():
        path.unlink()
    report = reindex(services).sources[0]
    assert report.status == "error" and report.removed == 0
    assert "EUR 150" in passages_text(services, "coworking desk allowance per month")


def test_a_broken_new_version_keeps_the_last_good_one(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    path = write(folder, "coworking.md", COWORKING)
    write(folder, "bicycle.md", BICYCLE)
    watch(services, folder)
    reindex(services)
    path.write_bytes(b"\x00\x01\x02 broken" * 100)

    for _ in range(2):  # a failed file is tried again on the next run, and fails again
        report = reindex(services).sources[0]
        assert (report.status, report.failed) == ("partial", 1)
        assert "coworking.md" in (report.error or "")

    assert "EUR 150" in passages_text(services, "coworking desk allowance per month")
    doc = document(services, folder, "coworking.md")
    assert (doc.status, doc.live_version) == ("active", 1) and doc.last_error


def test_http_source_conditional_gets_changes_errors_and_removal(
    services: Services, policy_server: PolicyServer
) -> None:
    policy_server.files["policies/coworking.md"] = COWORKING.encode()
    url = policy_server.url("policies/coworking.md")
    watch(services, url)

    assert reindex(services).sources[0].new == 1
    assert reindex(services).sources[0].unchanged == 1
    assert policy_server.statuses("policies/coworking.md") == [200, 304]

    policy_server.files["policies/coworking.md"] = COWORKING_V2.encode()
    assert reindex(services).sources[0].changed == 1
    answer = passages_text(services, "coworking desk allowance per month")
    assert "EUR 275" in answer and "EUR 150" not in answer

    policy_server.fail_with = 500
    failed = reindex(services).sources[0]
    assert failed.status == "error" and "500" in (failed.error or "")
    assert "EUR 275" in passages_text(services, "coworking desk allowance per month")

    policy_server.fail_with = None
    del policy_server.files["policies/coworking.md"]
    assert reindex(services).sources[0].removed == 1
    assert "coworking.md" not in sources_of(services, "coworking desk allowance per month")
    with services.db.session() as session:
        doc = registry.by_source(session, url)
        assert doc is not None and doc.status == "deleted"


def test_a_deep_check_of_a_url_skips_the_validators(
    services: Services, policy_server: PolicyServer
) -> None:
    policy_server.files["coworking"] = COWORKING.encode()  # no extension: Content-Type decides
    watch(services, policy_server.url("coworking"))
    reindex(services)
    report = reindex(services, deep=True).sources[0]
    assert report.unchanged == 1
    assert policy_server.statuses("coworking") == [200, 200]
    with services.db.session() as session:
        doc = registry.by_source(session, policy_server.url("coworking"))
        assert doc is not None and doc.versions[0].file_name == "coworking.md"
