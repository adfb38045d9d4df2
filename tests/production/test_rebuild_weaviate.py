"""Fix 1: a full rebuild on Weaviate carries every document over, or says why and keeps the old
collection (it used to ask Weaviate for 100,000 results, lose the documents and drop it)."""

from __future__ import annotations

import pytest

from knowledge.db import documents as registry
from knowledge.ingest import SourceFile
from knowledge.rebuild import rebuild
from knowledge.services import Services
from tests.pipelines.policies import BICYCLE, COWORKING, passages_text


@pytest.fixture
def backend_environment(weaviate_environment: dict[str, str]) -> dict[str, str]:
    return weaviate_environment


def upload(services: Services, *named: tuple[str, str]) -> None:
    """Uploaded bytes: no source to read again, so a rebuild must use the stored chunks."""
    files = [SourceFile.from_bytes(name, text.encode()) for name, text in named]
    results = list(services.ingestor().ingest(files))
    assert all(r.error is None for r in results), results


def test_uploaded_documents_are_carried_over_from_their_stored_chunks(services: Services) -> None:
    upload(services, ("coworking.md", COWORKING), ("bicycle.md", BICYCLE))
    previous = services.store.active_collection()

    report = rebuild(services.db, services.store, services.embedder, services.ingest_options())

    assert (report.reembedded, report.not_rebuilt, report.previous_kept) == (2, {}, False)
    assert services.store.active_collection() == report.collection != previous
    assert previous not in services.store.list_collections()
    assert "EUR 150" in passages_text(services, "coworking desk allowance per month")
    assert "EUR 90" in passages_text(services, "bicycle repairs paid per year")


def test_a_document_whose_chunks_cannot_all_be_read_is_reported_and_the_old_collection_kept(
    services: Services,
) -> None:
    upload(services, ("coworking.md", COWORKING), ("bicycle.md", BICYCLE))
    previous = services.store.active_collection()
    with services.db.session() as session:
        bicycle = next(d for d in registry.list_all(session) if "bicycle" in d.id)
    services.store.delete(bicycle.id, versions=[bicycle.live_version])  # the store lost them

    report = rebuild(services.db, services.store, services.embedder, services.ingest_options())

    assert report.reembedded == 1
    assert "read back" in report.not_rebuilt[bicycle.id]
    assert "0 of" in report.not_rebuilt[bicycle.id]
    assert report.previous_kept and previous in services.store.list_collections()
