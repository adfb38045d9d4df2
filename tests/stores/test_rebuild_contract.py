"""A full rebuild on both stores (LanceDB, and the Weaviate fake through the real client): every
document is carried over, from its source or from the chunks the store lists back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import update

from knowledge.db.document_models import Document, DocumentVersion
from knowledge.rebuild import rebuild
from knowledge.services import Services
from knowledge.stores.base import SearchFilter
from tests.pipelines.policies import BICYCLE, COWORKING, passages_text
from tests.stores.hash_embedder import HashEmbedder, upload

# More passages than one Weaviate query may return (QUERY_MAXIMUM_RESULTS, 10,000 by default).
BIG_DOCUMENT_CHUNKS = 10_003
# A handbook of several sections, each long enough to be a passage of its own.
SECTIONS = "# Travel handbook\n\n" + "\n\n".join(
    f"## Rule {n}\n\n"
    + " ".join(f"Rule {n} sentence {i} about trains and hotels." for i in range(40))
    for n in range(4)
)


def grow(services: Services, document_id: str, chunks: int) -> None:
    """Make the live version of an uploaded document `chunks` passages long, in the store and in
    the registry, as the upload of a very long manual leaves it."""
    store = services.store
    (first, *_) = store.list_chunks(document_id, 1)
    texts = [f"Step {i}: tighten bolt {i} of the assembly." for i in range(chunks)]
    vectors = services.embedder.encode(texts)
    records = [
        replace(first, id="", chunk_index=i, text=text, vector=tuple(map(float, vector)))
        for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))
    ]
    assert store.upsert(records).ok
    with services.db.session() as session:
        session.execute(
            update(DocumentVersion)
            .where(DocumentVersion.document_id == document_id, DocumentVersion.version == 1)
            .values(chunk_count=chunks)
        )
        session.execute(
            update(Document).where(Document.id == document_id).values(chunk_count=chunks)
        )


def rebuild_with(services: Services, name: str) -> Any:
    """A rebuild onto a new embedding model (another fingerprint), as after a model change."""
    assert isinstance(services.embedder, HashEmbedder)
    new = HashEmbedder(services.embedder.tokenizer, name)
    return rebuild(services.db, services.store, new, services.ingest_options())  # type: ignore[arg-type]


def test_uploaded_documents_are_carried_over_from_their_stored_chunks(hashed: Services) -> None:
    ids = upload(hashed, ("coworking.md", COWORKING), ("bicycle.md", BICYCLE))
    store = hashed.store
    previous = store.active_collection()
    before = {i: [c.text for c in store.list_chunks(i, 1)] for i in ids.values()}

    report = rebuild_with(hashed, "test/hash-words-2")

    assert (report.reembedded, report.reparsed, report.not_rebuilt) == (2, 0, {})
    assert report.previous_kept is False
    assert store.active_collection() == report.collection != previous
    assert previous not in store.list_collections()
    assert {i: [c.text for c in store.list_chunks(i, 1)] for i in ids.values()} == before
    assert "EUR 150" in passages_text(hashed, "coworking desk allowance per month")


def test_a_document_of_more_passages_than_one_query_returns_is_carried_over(
    hashed: Services,
) -> None:
    """The Weaviate rebuild bug: stored chunks were read back with one search, which Weaviate
    caps at 10,000 results, so a longer uploaded document could not be rebuilt at all."""
    ids = upload(hashed, ("manual.md", "# Assembly manual\n\nStep 0: unpack.\n"))
    manual = ids["manual.md"]
    grow(hashed, manual, BIG_DOCUMENT_CHUNKS)
    previous = hashed.store.active_collection()

    report = rebuild_with(hashed, "test/hash-words-2")

    assert report.not_rebuilt == {}
    assert (report.reembedded, report.chunks, report.previous_kept) == (
        1,
        BIG_DOCUMENT_CHUNKS,
        False,
    )
    assert hashed.store.active_collection() == report.collection != previous
    assert hashed.store.count(SearchFilter(statuses=None)) == BIG_DOCUMENT_CHUNKS
    listed = hashed.store.list_chunks(manual, 1)
    assert [c.chunk_index for c in listed] == list(range(BIG_DOCUMENT_CHUNKS))
    last = BIG_DOCUMENT_CHUNKS - 1
    assert listed[-1].text == f"Step {last}: tighten bolt {last} of the assembly."


def test_a_document_whose_chunks_cannot_all_be_listed_is_reported_and_the_old_collection_kept(
    hashed: Services,
) -> None:
    ids = upload(hashed, ("coworking.md", COWORKING), ("travel.md", SECTIONS))
    travel = ids["travel.md"]
    store = hashed.store
    previous = store.active_collection()
    kept, *lost = store.list_chunks(travel, 1)
    assert lost, "the test needs a document of several passages"
    store.delete(travel, versions=[1])  # the store lost all but the first passage
    vector = tuple(float(x) for x in hashed.embedder.encode([kept.text])[0])
    assert store.upsert([replace(kept, vector=vector)]).ok

    report = rebuild_with(hashed, "test/hash-words-2")

    assert report.reembedded == 1
    assert f"only 1 of its {len(lost) + 1} stored passages" in report.not_rebuilt[travel]
    assert report.previous_kept and previous in store.list_collections()
