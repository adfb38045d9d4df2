"""Full rebuilds: a new collection beside the live one, answers throughout, then the swap."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import pytest
from apscheduler.executors.debug import DebugExecutor

from knowledge.db import documents as registry
from knowledge.embeddings import Embedder
from knowledge.ingest import SourceFile
from knowledge.rebuild import embedding_model_outdated, rebuild
from knowledge.services import Services
from knowledge.stores.base import ChunkRecord, UpsertResult, collection_name
from pipelines.reindex import reindex
from pipelines.scheduler import FreshnessScheduler
from tests.pipelines.fakes import FakeClock, ManualScheduler
from tests.pipelines.policies import BICYCLE, COWORKING, passages_text, watch, write

QUESTION = "coworking desk allowance per month"


def versions(services: Services) -> dict[str, tuple[int | None, str]]:
    """document id -> (live version, embedding model of that version)."""
    with services.db.session() as session:
        return {
            d.id: (
                d.live_version,
                next(v.embedding_model for v in d.versions if v.version == d.live_version),
            )
            for d in registry.list_all(session)
        }


def renamed(embedder: Embedder, name: str) -> Embedder:
    """The same weights under another name: a different fingerprint, as after a model change."""
    other = copy.copy(embedder)
    other.name = name
    return other


def test_full_rebuild_swaps_collections_and_answers_throughout(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "policies", "coworking.md", COWORKING)
    write(tmp_path / "policies", "bicycle.md", BICYCLE)
    watch(services, tmp_path / "policies")
    reindex(services)
    before = services.store.active_collection()
    chunks = services.store.count()
    seen: list[str] = []
    real_upsert = services.store.upsert

    def spying(records: Sequence[ChunkRecord], **kwargs: object) -> UpsertResult:
        result = real_upsert(records, **kwargs)  # type: ignore[arg-type]
        seen.append(passages_text(services, QUESTION))  # what askers get mid-rebuild
        return result

    monkeypatch.setattr(services.store, "upsert", spying)
    report = reindex(services, full=True).rebuild

    assert report is not None and report.reparsed == 2 and report.not_rebuilt == {}
    assert seen and all("EUR 150" in text for text in seen)
    after = services.store.active_collection()
    assert after != before and after is not None
    assert after.startswith(collection_name(services.embedder.fingerprint))
    assert services.store.list_collections() == [after]
    assert services.store.count() == chunks
    assert "EUR 150" in passages_text(services, QUESTION)
    assert {v for v, _ in versions(services).values()} == {1}, "a rebuild makes no new versions"


def test_a_document_without_a_readable_source_is_re_embedded_from_its_stored_text(
    services: Services,
) -> None:
    list(services.ingestor().ingest([SourceFile.from_bytes("coworking.md", COWORKING.encode())]))
    report = rebuild(services.db, services.store, services.embedder, services.ingest_options())
    assert (report.reparsed, report.reembedded, report.not_rebuilt) == (0, 1, {})
    assert "EUR 150" in passages_text(services, QUESTION)


def test_an_embedding_model_change_is_detected_at_start_up_and_rebuilt(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    write(tmp_path / "policies", "coworking.md", COWORKING)
    write(tmp_path / "policies", "bicycle.md", BICYCLE)
    watch(services, tmp_path / "policies")
    reindex(services)
    old_fingerprint = services.embedder.fingerprint

    # The process restarts configured with another model.
    new = renamed(services.embedder, "northwind/other-minilm")
    services.close()
    for name in ("store", "retriever"):
        services.__dict__.pop(name, None)
    services.__dict__["embedder"] = new
    assert new.fingerprint != old_fingerprint
    assert embedding_model_outdated(services.db, services.store, new.fingerprint)

    leader = FreshnessScheduler(
        services,
        holder="a",
        clock=clock,
        scheduler_class=ManualScheduler,
        executor=DebugExecutor(),
    )
    leader.tick()  # start-up notices the model and makes the re-index due now
    assert isinstance(leader.aps, ManualScheduler)
    leader.aps.run_due()
    leader.stop()

    assert services.store.active_collection() == collection_name(new.fingerprint)
    assert set(versions(services).values()) == {(1, new.fingerprint)}
    assert not embedding_model_outdated(services.db, services.store, new.fingerprint)
    assert "EUR 150" in passages_text(services, QUESTION)
