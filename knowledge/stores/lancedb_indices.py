"""The embedded store's indices: which LanceDB keeps on a chunk table, and when they are built.

Searches at 100k chunks are as fast as these indices let them be: every query is pre-filtered
on status and audiences (a scan of both columns without an index), and the vector half walks
every segment of the HNSW index (one per optimize run unless merged).
"""

from __future__ import annotations

import logging
from typing import Any

from lancedb.index import FTS, Bitmap, HnswSq, LabelList

log = logging.getLogger(__name__)

# Below this many rows an exact (flat) vector scan is fast enough; from it, optimize() builds an
# HNSW index. LanceDB's flat scan costs about 3 microseconds a row (35 ms at 10k chunks) where
# the index answers in about 10 ms at 100k, so the index pays from a few thousand rows.
ANN_INDEX_FROM_ROWS = 5_000
# Each optimize() folds new rows into the vector index as one more segment (its own HNSW graph),
# and a query walks every segment: 17 of them made a 100k query 2.6x slower than one. Past this
# many, optimize() merges all but the first into one; past twice this many (a bulk load since the
# index was built) it rebuilds the index instead, which is faster than merging that much: 16
# segments of 5k rows took 243 s to merge, a rebuild of all 100k rows 147 s.
VECTOR_INDEX_MAX_SEGMENTS = 4
# HNSW search breadth. LanceDB's default (about 1.5x the limit) found 80% of the exact top 96 of
# 100k structured vectors; 600 finds 97%, as the old many-segment index did, for about 1 ms.
HNSW_EF = 600
# The columns every search filters on. Without these indices the pre-filter reads both columns
# of every row before searching, about half of a 100k query.
FILTER_INDICES: dict[str, Any] = {"status": Bitmap(), "audiences": LabelList()}


def create_indices(table: Any) -> None:
    """The indices of a new, empty chunk table (the vector index waits for enough rows)."""
    table.create_index("search_text", config=FTS(), replace=True)
    ensure_filter_indices(table)


def ensure_filter_indices(table: Any) -> None:
    """Index the filtered columns; tables made before these indices existed get them here."""
    indexed = {column for index in table.list_indices() for column in index.columns}
    for column, config in FILTER_INDICES.items():
        if column not in indexed:
            table.create_index(column, config=config, replace=True)


def maintain_vector_index(table: Any, *, merge_segments: bool = True) -> bool:
    """One HNSW index over the vectors once a flat scan would be slower than searching it.

    Built when the table reaches ANN_INDEX_FROM_ROWS rows (also in the middle of a long
    ingestion, so searches stay indexed meanwhile). With `merge_segments`, the segments left by
    earlier runs are merged or the index rebuilt (see VECTOR_INDEX_MAX_SEGMENTS). True when
    segments were merged: compaction cannot merge data files that different segments cover,
    so the table is worth compacting again.
    """
    index = next((i for i in table.list_indices() if "vector" in i.columns), None)
    if index is None:
        if table.count_rows() >= ANN_INDEX_FROM_ROWS:
            log.info("building the vector index of %s", table.name)
            table.create_index("vector", config=HnswSq(distance_type="cosine"))
        return False
    segments = int(table.index_stats(index.name).num_indices)
    if not merge_segments or segments <= VECTOR_INDEX_MAX_SEGMENTS:
        return False
    if segments > 2 * VECTOR_INDEX_MAX_SEGMENTS:
        log.info("rebuilding the vector index of %s (%d segments)", table.name, segments)
        table.create_index("vector", config=HnswSq(distance_type="cosine"), replace=True)
        return True
    log.info("merging %d vector index segments of %s", segments - 1, table.name)
    # LanceDB's optimize() cannot merge index segments; the Lance dataset under it can.
    table.to_lance().optimize.optimize_indices(
        index_names=[index.name], num_indices_to_merge=segments - 1
    )
    return True
