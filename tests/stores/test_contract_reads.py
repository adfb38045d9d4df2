"""The store contract, continued: keyword-only search, listing a document's chunks, optimize."""

from __future__ import annotations

from dataclasses import replace

from knowledge.stores.base import ChunkRecord, SearchFilter, VectorStore, collection_name
from tests.stores.conftest import StoreFactory
from tests.stores.corpus import CORPUS, ids, make, unit

# Real Weaviate refuses a query whose offset + limit passes QUERY_MAXIMUM_RESULTS (10,000 by
# default), the fake alike: a listing must page to return a document bigger than that.
QUERY_MAXIMUM_RESULTS = 10_000


def without_vector(chunk: ChunkRecord) -> ChunkRecord:
    """A chunk as reads return it: every field but the vector."""
    return replace(chunk, vector=())


def test_keyword_search_needs_no_vector(filled: VectorStore) -> None:
    hits = filled.keyword_search("flights economy", k=3)
    assert hits[0].chunk.id == CORPUS[3].id
    assert hits[0].score == hits[0].bm25_score and hits[0].score > 0
    assert hits[0].vector_score is None
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    same = filled.search("flights economy", unit(1, 0, 0), k=3, mode="bm25")
    assert ids(hits) == ids(same)


def test_keyword_search_filters_and_limits(filled: VectorStore) -> None:
    assert (
        filled.keyword_search("salary bands", k=5, filters=SearchFilter(audiences=["everyone"]))
        == []
    )
    managers = SearchFilter(audiences=["managers"])
    assert ids(filled.keyword_search("salary bands", k=5, filters=managers)) == [CORPUS[4].id]
    assert len(filled.keyword_search("leave", k=1)) == 1
    assert filled.keyword_search("leave", k=0) == []
    assert filled.keyword_search("   ", k=5) == []
    assert filled.keyword_search("leave", k=5, filters=SearchFilter(document_ids=[])) == []


def test_list_chunks_returns_one_version_whole_and_in_order(filled: VectorStore) -> None:
    version_2 = [
        make("leave", 2, "Carers get five days.", unit(0, 1, 1), version=2, status="draft"),
        make("leave", 0, "Parental leave is twenty weeks.", unit(1, 0, 0), version=2),
        make("leave", 1, "Managers approve leave.", unit(1, 1, 0), version=2, audiences=("hr",)),
    ]
    assert filled.upsert(version_2).ok  # written out of order, with any status and audience

    listed = filled.list_chunks("leave", 2)

    assert [c.chunk_index for c in listed] == [0, 1, 2]
    assert listed == sorted((without_vector(c) for c in version_2), key=lambda c: c.chunk_index)
    assert filled.list_chunks("leave", 1) == [without_vector(c) for c in CORPUS[:2]]
    assert filled.list_chunks("leave", 3) == []
    assert filled.list_chunks("no-such-document", 1) == []


def test_list_chunks_reads_a_named_collection(filled: VectorStore) -> None:
    beside = collection_name("beside")
    filled.create_collection(beside)
    rebuilt = make("leave", 0, "Rebuilt: parental leave.", unit(1, 0, 0))
    assert filled.upsert([rebuilt], collection=beside).ok

    assert filled.list_chunks("leave", 1, collection=beside) == [without_vector(rebuilt)]
    assert [c.text for c in filled.list_chunks("leave", 1)] == [c.text for c in CORPUS[:2]]
    assert filled.list_chunks("expenses", 1, collection=beside) == []


def test_list_chunks_pages_past_the_query_maximum(store: VectorStore) -> None:
    size = QUERY_MAXIMUM_RESULTS + 5
    big = [make("manual", i, f"Step {i}.", unit(1, i % 7, 0)) for i in range(size)]
    other = [make("manual", i, f"Old step {i}.", unit(0, 1, 0), version=0) for i in range(3)]
    assert store.upsert(big + other).ok

    listed = store.list_chunks("manual", 1)

    assert len(listed) == size
    assert [c.chunk_index for c in listed] == list(range(size))
    assert listed[-1].text == f"Step {size - 1}."
    assert len(store.list_chunks("manual", 0)) == 3


def test_optimize_keeps_every_chunk_and_search(filled: VectorStore) -> None:
    filled.optimize()
    beside = collection_name("beside")
    filled.create_collection(beside)
    filled.optimize(beside)
    assert filled.count() == len(CORPUS)
    assert filled.search("flights", unit(0, 0, 1), k=1)[0].chunk.id == CORPUS[3].id
    assert filled.keyword_search("coworking", k=1)[0].chunk.id == CORPUS[2].id
    assert len(filled.list_chunks("leave", 1)) == 2


def test_list_chunks_after_a_delete_is_empty(filled: VectorStore) -> None:
    assert filled.delete("leave", versions=[1]) == 2
    assert filled.list_chunks("leave", 1) == []


def test_close_keeps_the_data_for_the_next_handle(
    filled: VectorStore, store_factory: StoreFactory
) -> None:
    filled.close()
    reopened = store_factory(collection_name("contract"))
    reopened.ensure_schema()
    assert reopened.active_collection() == collection_name("contract")
    assert reopened.count() == len(CORPUS)
    assert len(reopened.list_chunks("leave", 1)) == 2
    assert reopened.keyword_search("coworking", k=1)[0].chunk.id == CORPUS[2].id
