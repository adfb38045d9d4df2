"""LanceDB's indices: what optimize() builds and keeps, and that search answers alike with them."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from pathlib import Path

import pytest

from knowledge.stores import lancedb_indices, lancedb_store
from knowledge.stores.base import ChunkRecord, SearchFilter, SearchMode, collection_name
from knowledge.stores.lancedb_store import LanceDBStore

DIMENSION = 8
ROWS = 400


def _unit(rng: random.Random) -> tuple[float, ...]:
    values = [rng.gauss(0.0, 1.0) for _ in range(DIMENSION)]
    norm = math.sqrt(sum(v * v for v in values))
    return tuple(v / norm for v in values)


def _chunks(start: int, count: int, seed: int = 3) -> list[ChunkRecord]:
    rng = random.Random(seed + start)
    return [
        ChunkRecord(
            document_id=f"doc-{i}",
            version=1,
            chunk_index=0,
            text=f"Policy {i} on {rng.choice(['leave', 'travel', 'expenses'])} and more.",
            title=f"Policy {i}",
            heading_path=("Policy", "Rules"),
            source_uri=f"file:///p/{i}.md",
            audiences=("managers",) if i % 5 == 0 else ("everyone",),
            vector=_unit(rng),
        )
        for i in range(start, start + count)
    ]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LanceDBStore:
    monkeypatch.setattr(lancedb_indices, "ANN_INDEX_FROM_ROWS", ROWS // 2)
    made = LanceDBStore(
        tmp_path / "lancedb", dimension=DIMENSION, default_collection=collection_name("idx")
    )
    made.ensure_schema()
    return made


def _indices(store: LanceDBStore) -> dict[str, str]:
    return {index.columns[0]: index.index_type for index in store._table().list_indices()}


def test_new_tables_index_the_filtered_columns(store: LanceDBStore) -> None:
    assert _indices(store) == {"search_text": "FTS", "status": "Bitmap", "audiences": "LabelList"}


def test_optimize_adds_filter_indices_to_a_table_made_without_them(store: LanceDBStore) -> None:
    table = store._table()
    for name in ("status_idx", "audiences_idx"):
        table.drop_index(name)
    store.upsert(_chunks(0, 10))
    store.optimize()
    assert {"status", "audiences"} <= set(_indices(store))
    managers = SearchFilter(audiences=["managers"])
    assert store.count(managers) == 2


def test_the_vector_index_returns_exact_cosine_similarities(store: LanceDBStore) -> None:
    chunks = _chunks(0, ROWS)
    store.upsert(chunks)
    store.optimize()
    assert _indices(store)["vector"] == "IvfHnswSq"
    query = _unit(random.Random(99))
    hits = store.search("", query, k=10, mode="vector", filters=SearchFilter())
    by_id = {c.id: c for c in chunks}
    for hit in hits:
        cosine = sum(a * b for a, b in zip(query, by_id[hit.chunk.id].vector, strict=True))
        assert hit.vector_score == pytest.approx(cosine, abs=1e-4)
    scores = [hit.vector_score or 0.0 for hit in hits]
    assert scores == sorted(scores, reverse=True)
    # The index narrows a flat scan, it does not reorder it: the best match is the exact best.
    best = max(chunks, key=lambda c: sum(a * b for a, b in zip(query, c.vector, strict=True)))
    if best.audiences == ("everyone",):
        assert hits[0].chunk.id == best.id


def test_optimize_merges_vector_index_segments_past_the_limit(store: LanceDBStore) -> None:
    store.upsert(_chunks(0, ROWS))
    store.optimize()
    table = store._table()
    runs = lancedb_indices.VECTOR_INDEX_MAX_SEGMENTS + 2
    for run in range(runs):  # each optimize folds its new rows in as one more segment
        store.upsert(_chunks(ROWS + run * 10, 10))
        store.optimize()
        segments = table.index_stats("vector_idx").num_indices
        assert segments <= lancedb_indices.VECTOR_INDEX_MAX_SEGMENTS
    assert table.index_stats("vector_idx").num_unindexed_rows == 0
    assert store.count() == ROWS + runs * 10


@pytest.mark.parametrize("indexed", [False, True], ids=["flat", "indexed"])
def test_filters_apply_before_ranking(store: LanceDBStore, indexed: bool) -> None:
    query = _unit(random.Random(7))
    near = tuple(0.99 * q for q in query)
    hidden = [
        ChunkRecord(
            document_id=f"secret-{i}",
            version=1,
            chunk_index=0,
            text="Parental leave for managers: sixteen weeks.",
            title="Managers",
            heading_path=("Managers",),
            source_uri=f"file:///m/{i}.md",
            audiences=("managers",),
            vector=near,
        )
        for i in range(ROWS)
    ]
    visible = ChunkRecord(
        document_id="sick-leave",
        version=1,
        chunk_index=0,
        text="Sick leave needs a note.",
        title="Sick leave",
        heading_path=("Sick leave",),
        source_uri="file:///sick.md",
        vector=_unit(random.Random(8)),
    )
    store.upsert([*hidden, visible])
    if indexed:
        store.optimize()
    assert ("vector" in _indices(store)) is indexed
    everyone = SearchFilter(audiences=["everyone"])
    modes: tuple[SearchMode, ...] = ("bm25", "vector", "hybrid")
    for mode in modes:
        # Unfiltered, every hidden chunk ranks above the visible one on both methods.
        hits = store.search(hidden[0].text, query, k=1, mode=mode, filters=everyone)
        assert [hit.chunk.id for hit in hits] == [visible.id], mode


def test_a_search_sees_another_connections_writes_at_once(tmp_path: Path) -> None:
    def handle() -> LanceDBStore:
        made = LanceDBStore(
            tmp_path / "lancedb", dimension=DIMENSION, default_collection=collection_name("idx")
        )
        made.ensure_schema()
        return made

    reader, writer = handle(), handle()
    first, second = _chunks(0, 2)
    writer.upsert([first])
    found = reader.search(first.text, first.vector, k=5, filters=SearchFilter())
    assert [hit.chunk.id for hit in found] == [first.id]
    writer.upsert([second])
    writer.optimize()  # compaction rewrites the files the reader last read
    found = reader.search(second.text, second.vector, k=5, mode="vector", filters=SearchFilter())
    assert {hit.chunk.id for hit in found} == {first.id, second.id}


def test_optimize_drops_old_versions(store: LanceDBStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lancedb_store, "KEEP_VERSIONS_FOR", timedelta(milliseconds=1))
    for start in range(0, 50, 10):  # one version per write
        store.upsert(_chunks(start, 10))
    table = store._table()
    assert len(table.list_versions()) > 5
    store.optimize()
    assert len(table.list_versions()) <= 2
    assert len(store.search("Policy", _chunks(0, 1)[0].vector, k=60, filters=SearchFilter())) == 50


def test_a_bulk_load_is_indexed_as_it_goes_then_rebuilt_whole(
    store: LanceDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lancedb_store, "FTS_REINDEX_AFTER_ROWS", 10)
    store.upsert(_chunks(0, ROWS))
    table = store._table()
    assert "vector" in _indices(store), "built by the write, before the run's optimize()"
    batches = 2 * lancedb_indices.VECTOR_INDEX_MAX_SEGMENTS + 1
    for batch in range(batches):
        store.upsert(_chunks(ROWS + batch * 10, 10))
    assert table.index_stats("vector_idx").num_indices == batches + 1
    store.optimize()
    assert table.index_stats("vector_idx").num_indices == 1
    assert table.index_stats("vector_idx").num_indexed_rows == ROWS + batches * 10
    # Segments kept compaction from merging the files each covers; once merged, it does.
    assert len(table.to_lance().get_fragments()) == 1
