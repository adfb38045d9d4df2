"""Ingestion end to end: versions, atomic switches, deletion, and bad input that loses nothing."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from knowledge.db import documents as registry
from knowledge.ingest import FileResult, SourceFile
from knowledge.services import Services
from knowledge.stores.base import ChunkRecord, UpsertResult
from tests.conftest import HANDBOOK

POLICY_V1 = """---
title: Coworking policy
owner: people@northwind.example
audiences: [everyone]
review_by: 2027-01-31
---
# Coworking policy

## Allowance
Employees may expense a coworking desk up to EUR 150 per month with a receipt.

## How to claim
Submit the receipt in the expenses tool within 30 days.
"""
POLICY_V2 = POLICY_V1.replace("EUR 150", "EUR 275")


def ingest(svc: Services, *sources: SourceFile, **options: object) -> list[FileResult]:
    return list(svc.ingestor(**options).ingest(sources))


def source(name: str, text: str | bytes, uri: str | None = None) -> SourceFile:
    data = text.encode() if isinstance(text, str) else text
    return SourceFile.from_bytes(name, data, uri=uri or f"file:///policies/{name}")


def answers_for(svc: Services, question: str) -> list[str]:
    return [p.text for p in svc.retriever.retrieve(question, k=5)]


def test_sample_handbook_ingests_completely(services: Services) -> None:
    files = sorted(p for p in HANDBOOK.iterdir() if p.is_file())
    results = ingest(services, *(SourceFile.from_path(p) for p in files))
    assert [r.outcome for r in results] == ["indexed"] * len(files), [r.error for r in results]
    assert all(r.chunks > 0 for r in results)
    with services.db.session() as session:
        docs = registry.list_all(session)
        assert len(docs) == len(files)
        assert {d.status for d in docs} == {"active"}
        managers = [d for d in docs if "managers" in d.audiences]
        assert managers, "the manager guide keeps its audience from front matter"
    assert services.store.count() == sum(r.chunks for r in results)


def test_identical_content_is_a_no_op_and_changes_make_a_version(services: Services) -> None:
    (first,) = ingest(services, source("coworking.md", POLICY_V1))
    (again,) = ingest(services, source("coworking.md", POLICY_V1))
    assert (first.outcome, again.outcome) == ("indexed", "unchanged")
    assert again.version == first.version == 1

    (changed,) = ingest(services, source("coworking.md", POLICY_V2))
    assert (changed.outcome, changed.version) == ("indexed", 2)
    assert services.store.document_versions(changed.document_id or "") == {2}
    texts = " ".join(answers_for(services, "coworking desk allowance per month"))
    assert "EUR 275" in texts and "EUR 150" not in texts
    with services.db.session() as session:
        doc = registry.get(session, changed.document_id or "")
        assert doc is not None
        assert [(v.version, v.status) for v in doc.versions] == [(1, "superseded"), (2, "live")]


def test_same_content_under_another_name_is_not_indexed_twice(services: Services) -> None:
    (first,) = ingest(services, source("coworking.md", POLICY_V1))
    (copy,) = ingest(services, source("coworking (1).md", POLICY_V1))
    assert copy.outcome == "duplicate" and copy.document_id == first.document_id
    assert "same content" in (copy.error or "")
    with services.db.session() as session:
        assert registry.by_source(session, "file:///policies/coworking (1).md") is None
    assert len({p.document_id for p in services.retriever.retrieve("coworking desk")}) == 1


class SpyingStore:
    """Wraps a store: after the new version's chunks are written, asks what readers see."""

    def __init__(self, inner: object, on_written: object) -> None:
        self._inner = inner
        self._on_written = on_written

    def upsert(self, chunks: Sequence[ChunkRecord], **kwargs: object) -> UpsertResult:
        result = self._inner.upsert(chunks, **kwargs)  # type: ignore[attr-defined]
        self._on_written()  # type: ignore[operator]
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_readers_never_see_two_versions_or_none(services: Services) -> None:
    ingest(services, source("coworking.md", POLICY_V1))
    seen: list[str] = []
    real_store = services.store
    spy = SpyingStore(
        real_store, lambda: seen.append(" ".join(answers_for(services, "coworking desk")))
    )
    services.__dict__["store"] = spy
    services.__dict__.pop("retriever", None)
    ingest(services, source("coworking.md", POLICY_V2))
    # Both versions' chunks were in the store at that moment; readers still saw only v1.
    assert len(seen) == 1
    assert "EUR 150" in seen[0] and "EUR 275" not in seen[0]
    assert "EUR 275" in " ".join(answers_for(services, "coworking desk"))


def test_delete_stops_serving_at_once(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    (result,) = ingest(services, source("coworking.md", POLICY_V1))
    assert answers_for(services, "coworking desk")
    # Even if removing the chunks fails, the registry gate already hides the document.
    monkeypatch.setattr(services.store, "delete", lambda *a, **k: 0)
    services.ingestor().delete(result.document_id or "")
    assert answers_for(services, "coworking desk") == []
    with services.db.session() as session:
        doc = registry.get(session, result.document_id or "")
        assert doc is not None and doc.status == "deleted"


BAD_INPUTS = {
    "corrupt.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not really a pdf",
    "empty.md": b"",
    "picture.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "junk.md": bytes(range(256)) * 16,
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_files_fail_clearly_and_the_batch_goes_on(services: Services, name: str) -> None:
    results = ingest(
        services,
        source(name, BAD_INPUTS[name]),
        source("coworking.md", POLICY_V1),
    )
    bad, good = results if results[0].name == name else results[::-1]
    assert bad.outcome == "failed" and bad.error and name in bad.error
    assert good.outcome == "indexed"
    with services.db.session() as session:
        row = registry.by_source(session, f"file:///policies/{name}")
        assert row is not None and row.status == "failed" and row.last_error == bad.error


def test_oversized_file_is_refused_without_reading(services: Services) -> None:
    def never_read() -> bytes:
        raise AssertionError("an oversized file must not be read")

    huge = SourceFile(
        uri="file:///policies/huge.md", name="huge.md", size=200 * 1024 * 1024, read=never_read
    )
    (result,) = ingest(services, huge)
    assert result.outcome == "failed" and "limit" in (result.error or "")


def test_a_failed_new_version_keeps_the_old_one_live(services: Services) -> None:
    ingest(services, source("coworking.md", POLICY_V1))
    (failed,) = ingest(services, source("coworking.md", b"\x00\x01\x02 broken" * 100))
    assert failed.outcome == "failed"
    assert any("EUR 150" in t for t in answers_for(services, "coworking desk"))
    with services.db.session() as session:
        doc = registry.by_source(session, "file:///policies/coworking.md")
        assert doc is not None and doc.status == "active" and doc.live_version == 1
        assert doc.last_error == failed.error


def test_store_failure_fails_that_file_only(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(services, source("coworking.md", POLICY_V1))
    real_upsert = services.store.upsert

    def flaky(chunks: Sequence[ChunkRecord], **kwargs: object) -> UpsertResult:
        if any("EUR 275" in c.text for c in chunks):
            raise ConnectionError("store went away")
        return real_upsert(chunks, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services.store, "upsert", flaky)
    other = POLICY_V1.replace("Coworking", "Bicycle").replace("coworking desk", "bicycle")
    results = ingest(services, source("coworking.md", POLICY_V2), source("bike.md", other))
    assert [r.outcome for r in results] == ["failed", "indexed"]
    assert "store went away" in (results[0].error or "")
    assert any("EUR 150" in t for t in answers_for(services, "coworking desk"))


def test_audiences_filter_retrieval(services: Services, tmp_path: Path) -> None:
    secret = (
        POLICY_V1.replace("audiences: [everyone]", "audiences: [managers]")
        .replace("Coworking policy", "Manager bonus policy")
        .replace("coworking desk", "manager bonus")
    )
    ingest(services, source("bonus.md", secret))
    assert services.retriever.retrieve("manager bonus", audiences=["everyone"]) == []
    hits = services.retriever.retrieve("manager bonus", audiences=["everyone", "managers"])
    assert hits and hits[0].source_name == "bonus.md"


def test_folder_ingest_skips_hidden_files(services: Services, tmp_path: Path) -> None:
    from knowledge.ingest import walk

    folder = tmp_path / "policies"
    shutil.copytree(HANDBOOK, folder)
    (folder / ".DS_Store").write_bytes(b"\x00junk")
    files = list(walk([folder]))
    assert all(not p.name.startswith(".") for p in files)
    assert len(files) == len([p for p in HANDBOOK.iterdir() if p.is_file()])
