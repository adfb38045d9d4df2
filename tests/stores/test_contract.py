"""The vector-store contract: what every backend (LanceDB, Weaviate) must do, tested alike."""

from __future__ import annotations

import pytest

from knowledge.stores.base import SearchFilter, VectorStore, chunk_id, collection_name
from tests.stores.conftest import StoreFactory
from tests.stores.corpus import CORPUS, ids, make, unit


def test_chunk_ids_are_deterministic_uuid5() -> None:
    assert chunk_id("leave", 2, 0) == chunk_id("leave", 2, 0)
    assert chunk_id("leave", 2, 0) != chunk_id("leave", 3, 0)
    assert CORPUS[0].id == chunk_id("leave", 1, 0)


def test_ensure_schema_is_idempotent_and_sets_the_alias(store_factory: StoreFactory) -> None:
    store = store_factory(collection_name("contract"))
    store.ensure_schema()
    store.ensure_schema()
    assert store.active_collection() == collection_name("contract")
    assert collection_name("contract") in store.list_collections()


def test_upsert_counts_and_replaces_by_id(filled: VectorStore) -> None:
    assert filled.count() == len(CORPUS)
    changed = make("leave", 0, "Parental leave is twenty weeks at full pay.", unit(1, 0, 0))
    assert filled.upsert([changed]).ok
    assert filled.count() == len(CORPUS)
    hits = filled.search("twenty weeks", unit(1, 0, 0), k=1, mode="bm25")
    assert hits[0].chunk.id == changed.id and "twenty" in hits[0].chunk.text


def test_upsert_reports_bad_objects_and_writes_the_rest(store: VectorStore) -> None:
    bad = make("broken", 0, "Wrong vector size.", (1.0, 0.0))
    result = store.upsert([CORPUS[0], bad])
    assert result.written == (CORPUS[0].id,)
    assert [cid for cid, _ in result.errors] == [bad.id]
    assert "dimension" in result.errors[0][1]
    assert store.count() == 1


def test_round_trip_keeps_every_field(filled: VectorStore) -> None:
    hit = filled.search("Coworking", unit(0, 1, 0), k=1, mode="vector")[0]
    original = CORPUS[2]
    assert hit.chunk.id == original.id
    assert hit.chunk.text == original.text
    assert hit.chunk.title == original.title
    assert hit.chunk.heading_path == original.heading_path
    assert hit.chunk.source_uri == original.source_uri
    assert hit.chunk.audiences == original.audiences
    assert hit.chunk.review_by == original.review_by
    assert (hit.chunk.document_id, hit.chunk.version, hit.chunk.chunk_index) == ("expenses", 1, 0)


def test_vector_search_ranks_by_cosine_similarity(filled: VectorStore) -> None:
    hits = filled.search("", unit(1, 0.2, 0), k=3, mode="vector")
    assert ids(hits)[:2] == [CORPUS[0].id, CORPUS[1].id]
    assert hits[0].vector_score == pytest.approx(
        sum(a * b for a, b in zip(unit(1, 0.2, 0), CORPUS[0].vector, strict=True)), abs=1e-4
    )
    assert hits[0].bm25_score is None


def test_bm25_search_finds_keywords(filled: VectorStore) -> None:
    hits = filled.search("flights economy", unit(1, 0, 0), k=3, mode="bm25")
    assert hits[0].chunk.id == CORPUS[3].id
    assert hits[0].bm25_score is not None and hits[0].bm25_score > 0
    assert hits[0].vector_score is None


def test_hybrid_keeps_both_scores_and_alpha_moves_the_ranking(filled: VectorStore) -> None:
    # Keywords point at travel, the vector at parental leave.
    query, vector = "flights economy travel desk", unit(1, 0, 0)
    keyword_led = filled.search(query, vector, k=5, alpha=0.0)
    vector_led = filled.search(query, vector, k=5, alpha=1.0)
    assert keyword_led[0].chunk.id == CORPUS[3].id
    assert vector_led[0].chunk.id == CORPUS[0].id
    balanced = filled.search(query, vector, k=5, alpha=0.5)
    both = [hit for hit in balanced if hit.bm25_score is not None and hit.vector_score is not None]
    assert both, "a chunk found by both methods carries both scores"
    assert all(0.0 <= hit.score <= 1.0 + 1e-6 for hit in balanced)
    assert [hit.score for hit in balanced] == sorted((hit.score for hit in balanced), reverse=True)


def test_audience_filter_is_any_of(filled: VectorStore) -> None:
    everyone = SearchFilter(audiences=["everyone"])
    hits = filled.search("salary bands", unit(0, 0, 0, 1), k=10, filters=everyone)
    assert CORPUS[4].id not in ids(hits)
    managers = SearchFilter(audiences=["everyone", "managers"])
    hits = filled.search("salary bands", unit(0, 0, 0, 1), k=10, filters=managers)
    assert hits[0].chunk.id == CORPUS[4].id
    assert filled.count(SearchFilter(audiences=["managers"])) == 1


def test_document_and_status_filters(filled: VectorStore) -> None:
    only_leave = SearchFilter(document_ids=["leave"])
    hits = filled.search("leave reimbursed flights", unit(1, 1, 1), k=10, filters=only_leave)
    assert {hit.chunk.document_id for hit in hits} == {"leave"}
    filled.upsert([make("draft", 0, "Draft policy on pets.", unit(0, 0, 1), status="draft")])
    assert "draft" not in {
        h.chunk.document_id
        for h in filled.search("pets", unit(0, 0, 1), k=10, filters=SearchFilter())
    }
    drafts = SearchFilter(statuses=["draft"])
    assert [
        h.chunk.document_id for h in filled.search("pets", unit(0, 0, 1), k=10, filters=drafts)
    ] == ["draft"]
    assert filled.count(SearchFilter(statuses=None)) == len(CORPUS) + 1


def test_delete_by_document_and_by_version(filled: VectorStore) -> None:
    new = make("leave", 0, "Parental leave is twenty weeks.", unit(1, 0, 0), version=2)
    filled.upsert([new])
    assert filled.document_versions("leave") == {1, 2}
    assert filled.delete("leave", versions=[1]) == 2
    assert filled.document_versions("leave") == {2}
    assert filled.delete("leave") == 1
    assert filled.document_versions("leave") == set()
    assert (
        filled.search(
            "parental leave", unit(1, 0, 0), k=10, filters=SearchFilter(document_ids=["leave"])
        )
        == []
    )
    assert filled.delete("no-such-document") == 0


def test_alias_swap_serves_the_rebuilt_collection(filled: VectorStore) -> None:
    old = filled.active_collection()
    assert old is not None
    rebuilt = collection_name("rebuilt")
    filled.create_collection(rebuilt)
    filled.upsert([make("leave", 0, "Rebuilt: parental leave.", unit(1, 0, 0))], collection=rebuilt)
    # Until the swap, queries still read the live collection.
    assert filled.count() == len(CORPUS)
    filled.activate(rebuilt)
    assert filled.active_collection() == rebuilt
    assert filled.count() == 1
    hits = filled.search("parental", unit(1, 0, 0), k=5)
    assert [hit.chunk.text for hit in hits] == ["Rebuilt: parental leave."]
    with pytest.raises(ValueError):
        filled.drop_collection(rebuilt)
    filled.drop_collection(old)
    assert old not in filled.list_collections()


def test_a_second_handle_sees_writes_and_the_swap(store_factory: StoreFactory) -> None:
    writer = store_factory(collection_name("contract"))
    writer.ensure_schema()
    reader = store_factory(collection_name("contract"))
    reader.ensure_schema()
    writer.upsert(CORPUS[:2])
    assert reader.count() == 2
    writer.create_collection(collection_name("next"))
    writer.activate(collection_name("next"))
    assert reader.active_collection() == collection_name("next")
    assert reader.count() == 0
