"""The embedded vector store: LanceDB tables under the data directory, no server needed."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from knowledge.stores.base import (
    ChunkRecord,
    Hit,
    SchemaMismatchError,
    SearchFilter,
    SearchMode,
    StoreUnavailableError,
    UpsertResult,
)
from knowledge.stores.lancedb_indices import (
    create_indices,
    ensure_filter_indices,
    maintain_vector_index,
)
from knowledge.stores.lancedb_search import COLUMNS, LANCEDB_LOOP, chunk_from_row, search_table

log = logging.getLogger(__name__)

ALIAS_FILE = "aliases.json"
# Rows added since the last FTS index build are still searched (flat), just slower; rebuilding
# the index after every batch would cost more than it saves, so it is refreshed past this many.
FTS_REINDEX_AFTER_ROWS = 2_000
# Each query of a zero-interval reader lists every version of the table to find the latest:
# 1,000 versions added 5 ms to a 10k-chunk query and 2,000 added 10 ms. LanceDB keeps a week of
# versions (thousands with a 15-minute re-index schedule); no reader here uses a version older
# than the query it is running, so compaction drops versions past this age.
KEEP_VERSIONS_FOR = timedelta(hours=1)


def _schema(dimension: int) -> pa.Schema:
    """Every column declared: the store never infers a schema from data."""
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("document_id", pa.string(), nullable=False),
            pa.field("version", pa.int32(), nullable=False),
            pa.field("chunk_index", pa.int32(), nullable=False),
            pa.field("text", pa.string(), nullable=False),
            pa.field("search_text", pa.string(), nullable=False),
            pa.field("title", pa.string(), nullable=False),
            pa.field("heading_path", pa.list_(pa.string()), nullable=False),
            pa.field("source_uri", pa.string(), nullable=False),
            pa.field("audiences", pa.list_(pa.string()), nullable=False),
            pa.field("review_by", pa.date32(), nullable=True),
            pa.field("status", pa.string(), nullable=False),
            pa.field("vector", pa.list_(pa.float32(), dimension), nullable=False),
        ]
    )


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_str(v) for v in values) + "]"


def where_clause(filters: SearchFilter | None) -> str | None:
    """The SQL predicate LanceDB evaluates for a filter (None: no restriction)."""
    if filters is None:
        return None
    parts: list[str] = []
    if filters.audiences is not None:
        parts.append(f"array_has_any(audiences, {_sql_list(filters.audiences)})")
    if filters.document_ids is not None:
        ids = ", ".join(_sql_str(d) for d in filters.document_ids) or "''"
        parts.append(f"document_id IN ({ids})")
    if filters.statuses is not None:
        statuses = ", ".join(_sql_str(s) for s in filters.statuses) or "''"
        parts.append(f"status IN ({statuses})")
    return " AND ".join(parts) if parts else None


def search_text(chunk: ChunkRecord) -> str:
    """What BM25 indexes: the title and headings matter as much as the body."""
    return "\n".join([chunk.title, chunk.section, chunk.text])


def _row(chunk: ChunkRecord) -> dict[str, Any]:
    return {
        "id": chunk.id,
        "document_id": chunk.document_id,
        "version": chunk.version,
        "chunk_index": chunk.chunk_index,
        "text": chunk.text,
        "search_text": search_text(chunk),
        "title": chunk.title,
        "heading_path": list(chunk.heading_path),
        "source_uri": chunk.source_uri,
        "audiences": list(chunk.audiences),
        "review_by": chunk.review_by,
        "status": chunk.status,
        "vector": list(chunk.vector),
    }


class LanceDBStore:
    """Chunks in LanceDB tables; an alias file names the table that queries read."""

    name = "lancedb"

    def __init__(self, directory: Path, *, dimension: int, default_collection: str) -> None:
        self.directory = Path(directory)
        self.dimension = dimension
        self.default_collection = default_collection
        self._db: Any = None
        self._tables: dict[str, Any] = {}
        self._unindexed: dict[str, int] = {}
        self._lock = threading.Lock()
        self._async_db: Any = None
        self._readers: dict[str, Any] = {}

    # --- connection and alias ----------------------------------------------------------
    def _connect(self) -> Any:
        if self._db is None:
            import lancedb  # heavy import, deferred so nothing connects at import time

            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                # Zero interval: every read sees writes made by other processes (scheduler, admin).
                self._db = lancedb.connect(self.directory, read_consistency_interval=timedelta(0))
            except OSError as exc:
                raise StoreUnavailableError(
                    f"cannot open LanceDB at {self.directory}: {exc}"
                ) from exc
        return self._db

    def _alias_path(self) -> Path:
        return self.directory / ALIAS_FILE

    def active_collection(self) -> str | None:
        try:
            return str(json.loads(self._alias_path().read_text())["active"])
        except FileNotFoundError:
            return None

    def _write_alias(self, name: str) -> None:
        # Write then rename: readers see the old name or the new one, never a torn file.
        tmp = self._alias_path().with_suffix(".tmp")
        tmp.write_text(json.dumps({"active": name}))
        os.replace(tmp, self._alias_path())

    def _table_names(self) -> list[str]:
        db = self._connect()
        listing = db.list_tables() if hasattr(db, "list_tables") else db.table_names()
        names = getattr(listing, "tables", listing)
        return [str(n) for n in names]

    def _table(self, name: str | None = None) -> Any:
        name = name or self.active_collection()
        if name is None:
            raise StoreUnavailableError(
                "the knowledge store has no collection yet: run ensure_schema()"
            )
        table = self._tables.get(name)
        if table is None:
            try:
                table = self._connect().open_table(name)
            except (FileNotFoundError, ValueError) as exc:
                raise StoreUnavailableError(f"LanceDB table {name!r} is missing: {exc}") from exc
            self._tables[name] = table
        return table

    # --- schema and collections --------------------------------------------------------
    def ensure_schema(self) -> None:
        active = self.active_collection()
        if active is None:
            self.create_collection(self.default_collection)
            self._write_alias(self.default_collection)
            return
        self.create_collection(active)  # recreate a table lost from under the alias
        schema = self._table(active).schema
        expected = _schema(self.dimension)
        for field in expected:
            if field.name not in schema.names:
                raise SchemaMismatchError(
                    f"LanceDB table {active!r} lacks column {field.name!r}: "
                    "run `helpbot reindex --full`"
                )
            if schema.field(field.name).type != field.type:
                raise SchemaMismatchError(
                    f"LanceDB table {active!r} column {field.name!r} is "
                    f"{schema.field(field.name).type}, expected {field.type} (a different "
                    "embedding model?): run `helpbot reindex --full`"
                )

    def list_collections(self) -> list[str]:
        return sorted(n for n in self._table_names() if n.startswith("HelpbotChunks"))

    def create_collection(self, name: str) -> None:
        with self._lock:
            if name in self._table_names():
                return
            table = self._connect().create_table(name, schema=_schema(self.dimension))
            create_indices(table)
            self._tables[name] = table

    def activate(self, name: str) -> None:
        if name not in self._table_names():
            raise ValueError(f"cannot activate {name!r}: no such collection")
        self._write_alias(name)

    def drop_collection(self, name: str) -> None:
        if name == self.active_collection():
            raise ValueError(f"{name!r} is the active collection; activate another one first")
        self._tables.pop(name, None)
        self._readers.pop(name, None)
        if name in self._table_names():
            self._connect().drop_table(name)

    # --- writes ------------------------------------------------------------------------
    def upsert(
        self, chunks: Sequence[ChunkRecord], *, collection: str | None = None
    ) -> UpsertResult:
        good: list[dict[str, Any]] = []
        errors: list[tuple[str, str]] = []
        for chunk in chunks:
            if len(chunk.vector) != self.dimension:
                errors.append(
                    (
                        chunk.id,
                        f"vector has {len(chunk.vector)} dimensions, expected {self.dimension}",
                    )
                )
            else:
                good.append(_row(chunk))
        if good:
            name = collection or self.active_collection() or self.default_collection
            table = self._table(name)
            data = pa.Table.from_pylist(good, schema=_schema(self.dimension))
            (
                table.merge_insert("id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute(data)
            )
            self._after_write(name, len(good))
        return UpsertResult(written=tuple(row["id"] for row in good), errors=tuple(errors))

    def _after_write(self, name: str, rows: int) -> None:
        self._unindexed[name] = self._unindexed.get(name, 0) + rows
        if self._unindexed[name] >= FTS_REINDEX_AFTER_ROWS:
            table = self._table(name)
            self._compact(table)
            # Segments pile up until the run's optimize(), which merges or rebuilds them once.
            maintain_vector_index(table, merge_segments=False)
            self._unindexed[name] = 0

    def optimize(self, collection: str | None = None) -> None:
        """Compact the small files many writes leave behind and fold new rows into the indices.

        Every write adds a fragment; a table of thousands of fragments searches and merges
        several times slower, so ingestion runs call this when they finish.
        """
        name = collection or self.active_collection()
        if name is None:
            return
        table = self._table(name)
        self._compact(table)
        if maintain_vector_index(table):
            self._compact(table)
        self._unindexed[name] = 0

    @staticmethod
    def _compact(table: Any) -> None:
        table.optimize(cleanup_older_than=KEEP_VERSIONS_FOR)
        ensure_filter_indices(table)

    def delete(self, document_id: str, *, versions: Sequence[int] | None = None) -> int:
        table = self._table()
        predicate = f"document_id = {_sql_str(document_id)}"
        if versions is not None:
            if not versions:
                return 0
            predicate += f" AND version IN ({', '.join(str(int(v)) for v in versions)})"
        removed = int(table.count_rows(predicate))
        if removed:
            table.delete(predicate)
        return removed

    # --- reads -------------------------------------------------------------------------
    def count(self, filters: SearchFilter | None = None) -> int:
        return int(self._table().count_rows(where_clause(filters)))

    def document_versions(self, document_id: str) -> set[int]:
        rows = (
            self._table()
            .search()
            .where(f"document_id = {_sql_str(document_id)}")
            .select(["version"])
            .limit(None)
            .to_list()
        )
        return {int(row["version"]) for row in rows}

    def list_chunks(
        self, document_id: str, version: int, *, collection: str | None = None
    ) -> list[ChunkRecord]:
        rows = (
            self._table(collection)
            .search()
            .where(f"document_id = {_sql_str(document_id)} AND version = {int(version)}")
            .select(COLUMNS)
            .limit(None)
            .to_list()
        )
        return sorted((chunk_from_row(row) for row in rows), key=lambda c: c.chunk_index)

    def keyword_search(
        self, query_text: str, *, k: int = 10, filters: SearchFilter | None = None
    ) -> list[Hit]:
        if k <= 0:
            return []
        return search_table(
            self._reader(), query_text, [], k=k, alpha=0.0, mode="bm25", where=where_clause(filters)
        )

    def search(
        self,
        query_text: str,
        query_vector: Sequence[float],
        *,
        k: int = 10,
        alpha: float = 0.5,
        mode: SearchMode = "hybrid",
        filters: SearchFilter | None = None,
    ) -> list[Hit]:
        if mode != "bm25" and len(query_vector) != self.dimension:
            raise ValueError(
                f"query vector has {len(query_vector)} dimensions, expected {self.dimension}"
            )
        return search_table(
            self._reader(),
            query_text,
            query_vector,
            k=k,
            alpha=alpha,
            mode=mode,
            where=where_clause(filters),
        )

    def _reader(self) -> Any:
        """The active table's handle in LanceDB's async API, which searches go through.

        The sync query builder fetches the table schema three times per query (checking for
        blob columns), each a round trip to LanceDB's event loop and a version check; the async
        API does neither, which is about 4 ms of a 100k-chunk hybrid search.
        """
        name = self.active_collection()
        if name is None:
            raise StoreUnavailableError(
                "the knowledge store has no collection yet: run ensure_schema()"
            )
        table = self._readers.get(name)
        if table is None:
            import lancedb

            if self._async_db is None:
                # Zero interval, as for writes: every search sees other processes' writes.
                self._async_db = LANCEDB_LOOP.run(
                    lancedb.connect_async(self.directory, read_consistency_interval=timedelta(0))
                )
            try:
                table = LANCEDB_LOOP.run(self._async_db.open_table(name))
            except (FileNotFoundError, ValueError) as exc:
                raise StoreUnavailableError(f"LanceDB table {name!r} is missing: {exc}") from exc
            self._readers[name] = table
        return table

    def close(self) -> None:
        self._tables.clear()
        self._readers.clear()
        self._db = None
        self._async_db = None
