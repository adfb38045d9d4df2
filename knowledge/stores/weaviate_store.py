"""The Weaviate vector store: chunk collections behind an alias, over weaviate-client v4."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import weaviate
from weaviate.classes.aggregate import GroupByAggregate
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter
from weaviate.collections import Collection
from weaviate.exceptions import UnexpectedStatusCodeError, WeaviateInsertManyAllFailedError

from knowledge.stores.base import (
    ChunkRecord,
    Hit,
    SearchFilter,
    SearchMode,
    StoreUnavailableError,
    UpsertResult,
    collection_name,
)
from knowledge.stores.weaviate_connection import WeaviateConnection, one_line
from knowledge.stores.weaviate_queries import (
    chunk_page,
    hybrid_query,
    keyword_query,
    vector_query,
    version_page_filter,
)
from knowledge.stores.weaviate_schema import (
    VECTOR_NAME,
    ensure_collection,
    to_properties,
    where_filter,
)

log = logging.getLogger(__name__)

COLLECTION_PREFIX = collection_name("")
BATCH_SIZE = 200  # objects per BatchObjects call: small enough to finish well inside a timeout
MAX_DELETE_ROUNDS = 1_000  # one batch delete removes at most QUERY_MAXIMUM_RESULTS objects
# Chunks per listing page: well under the server's QUERY_MAXIMUM_RESULTS (10,000 by default),
# which caps one query's offset + limit, so a document of any size is read in pages.
LIST_PAGE_SIZE = 1_000


class WeaviateStore:
    """Chunks in Weaviate collections; the alias names the one that queries read.

    The client is created on first use. Every call goes through WeaviateConnection: it has a
    timeout, transient failures are retried with exponential backoff, and anything that still
    fails reaches the caller as StoreUnavailableError with a one-line reason.
    """

    name = "weaviate"

    def __init__(
        self,
        url: str,
        *,
        grpc_port: int,
        api_key: str | None,
        dimension: int,
        default_collection: str,
        alias: str = "HelpbotChunks",
        timeout_s: float = 10.0,
        tenant: str | None = None,
        list_page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        self._connection = WeaviateConnection(
            url, grpc_port=grpc_port, api_key=api_key, timeout_s=timeout_s
        )
        self.url = url
        self.dimension = dimension
        self.default_collection = default_collection
        self.alias = alias
        self.timeout_s = timeout_s
        self.tenant = tenant
        self.list_page_size = list_page_size
        self._handles: dict[str, Collection[Any, Any]] = {}

    def _collection(self, client: weaviate.WeaviateClient, name: str) -> Collection[Any, Any]:
        # Handles are reused: building one costs about a millisecond (it sets up a batch
        # executor), which would be most of the adapter's share of a query.
        handle = self._handles.get(name)
        if handle is None:
            handle = client.collections.use(name)
            handle = handle.with_tenant(self.tenant) if self.tenant else handle
            self._handles[name] = handle
        return handle

    # --- schema and collections --------------------------------------------------------
    def ensure_schema(self) -> None:
        def work(client: weaviate.WeaviateClient) -> None:
            active = self._alias_target(client)
            target = active or self.default_collection
            # Also recreates a collection deleted from under the alias.
            ensure_collection(client, target, tenant=self.tenant, dimension=self.dimension)
            if active is None:
                try:
                    client.alias.create(alias_name=self.alias, target_collection=target)
                except UnexpectedStatusCodeError as exc:
                    # Another process created it between our read and our write: fine.
                    if exc.status_code != 422 or self._alias_target(client) is None:
                        raise

        self._connection.call("checking the schema", work)

    def _alias_target(self, client: weaviate.WeaviateClient) -> str | None:
        found = client.alias.get(alias_name=self.alias)
        return found.collection if found is not None else None

    def active_collection(self) -> str | None:
        return self._connection.call("reading the alias", self._alias_target)

    def list_collections(self) -> list[str]:
        names = self._connection.call(
            "listing collections", lambda c: list(c.collections.list_all(simple=True))
        )
        return sorted(n for n in names if n.startswith(COLLECTION_PREFIX))

    def create_collection(self, name: str) -> None:
        self._connection.call(
            f"creating collection {name}",
            lambda c: ensure_collection(c, name, tenant=self.tenant, dimension=self.dimension),
        )

    def activate(self, name: str) -> None:
        def work(client: weaviate.WeaviateClient) -> None:
            if not client.collections.exists(name):
                raise ValueError(f"cannot activate {name!r}: no such collection")
            # One PUT re-points the alias; queries in flight finish on the old collection.
            if not client.alias.update(alias_name=self.alias, new_target_collection=name):
                client.alias.create(alias_name=self.alias, target_collection=name)
            log.info("alias %s now points at %s", self.alias, name)

        self._connection.call(f"activating {name}", work)

    def drop_collection(self, name: str) -> None:
        def work(client: weaviate.WeaviateClient) -> None:
            if name == self._alias_target(client):
                raise ValueError(f"{name!r} is the active collection; activate another one first")
            client.collections.delete(name)

        self._connection.call(f"dropping {name}", work)

    # --- writes ------------------------------------------------------------------------
    def upsert(
        self, chunks: Sequence[ChunkRecord], *, collection: str | None = None
    ) -> UpsertResult:
        # Writes go through the alias unless a collection is named: Weaviate routes them.
        target = collection or self.alias
        written: list[str] = []
        errors: list[tuple[str, str]] = []
        good: list[ChunkRecord] = []
        for chunk in chunks:
            if len(chunk.vector) == self.dimension:
                good.append(chunk)
            else:
                size = len(chunk.vector)
                errors.append(
                    (chunk.id, f"vector has {size} dimensions, expected {self.dimension}")
                )
        for start in range(0, len(good), BATCH_SIZE):
            batch = good[start : start + BATCH_SIZE]
            try:
                ok, failed = self._connection.call(
                    f"writing {len(batch)} chunks",
                    partial(self._insert, target=target, batch=batch),
                )
            except StoreUnavailableError as exc:
                raise StoreUnavailableError(
                    f"{exc} ({len(written)} of {len(chunks)} chunks were written before the "
                    "failure; upserts are idempotent, so retrying the whole call is safe)"
                ) from None
            written.extend(ok)
            errors.extend(failed)
        return UpsertResult(written=tuple(written), errors=tuple(errors))

    def _insert(
        self, client: weaviate.WeaviateClient, target: str, batch: list[ChunkRecord]
    ) -> tuple[list[str], list[tuple[str, str]]]:
        objects = [
            DataObject(uuid=c.id, properties=to_properties(c), vector={VECTOR_NAME: list(c.vector)})
            for c in batch
        ]
        try:
            result = self._collection(client, target).data.insert_many(objects)
        except WeaviateInsertManyAllFailedError as exc:
            # Every object was refused (e.g. no such collection): an answer, not an outage.
            message = one_line(exc).removeprefix("Here is the set of all errors: ")
            return [], [(c.id, message) for c in batch]
        failed = {index: err.message for index, err in result.errors.items()}
        ok = [c.id for i, c in enumerate(batch) if i not in failed]
        return ok, [(batch[i].id, message) for i, message in sorted(failed.items())]

    def delete(self, document_id: str, *, versions: Sequence[int] | None = None) -> int:
        if versions is not None and not versions:
            return 0
        where = Filter.by_property("document_id").equal(document_id)
        if versions is not None:
            where = where & Filter.by_property("version").contains_any([int(v) for v in versions])

        def work(client: weaviate.WeaviateClient) -> int:
            removed = 0
            # One round deletes at most the server's QUERY_MAXIMUM_RESULTS; repeat until none.
            for _ in range(MAX_DELETE_ROUNDS):
                result = self._collection(client, self.alias).data.delete_many(where=where)
                if result.failed:
                    raise StoreUnavailableError(
                        f"Weaviate failed to delete {result.failed} chunks of {document_id!r}"
                    )
                removed += result.successful
                if result.successful == 0:
                    break
            return removed

        return self._connection.call(f"deleting {document_id}", work)

    # --- reads -------------------------------------------------------------------------
    def count(self, filters: SearchFilter | None = None) -> int:
        where, empty = where_filter(filters)
        if empty:
            return 0
        result = self._connection.call(
            "counting chunks",
            lambda c: self._collection(c, self.alias).aggregate.over_all(
                total_count=True, filters=where
            ),
        )
        return int(result.total_count or 0)

    def document_versions(self, document_id: str) -> set[int]:
        result = self._connection.call(
            f"listing versions of {document_id}",
            lambda c: self._collection(c, self.alias).aggregate.over_all(
                filters=Filter.by_property("document_id").equal(document_id),
                group_by=GroupByAggregate(prop="version"),
                total_count=True,
            ),
        )
        return {int(group.grouped_by.value) for group in result.groups}  # type: ignore[arg-type]

    def list_chunks(
        self, document_id: str, version: int, *, collection: str | None = None
    ) -> list[ChunkRecord]:
        target = collection or self.alias
        chunks: list[ChunkRecord] = []
        while True:
            after = chunks[-1].chunk_index if chunks else None
            where = version_page_filter(document_id, version, after_index=after)
            page = self._connection.call(
                f"listing chunks of {document_id}",
                partial(self._chunk_page, target=target, where=where),
            )
            chunks.extend(page)
            if len(page) < self.list_page_size:
                return chunks

    def _chunk_page(
        self, client: weaviate.WeaviateClient, target: str, where: Any
    ) -> list[ChunkRecord]:
        return chunk_page(self._collection(client, target), where, limit=self.list_page_size)

    def keyword_search(
        self, query_text: str, *, k: int = 10, filters: SearchFilter | None = None
    ) -> list[Hit]:
        where, empty = where_filter(filters)
        if empty or k <= 0 or not query_text.strip():
            return []
        return self._connection.call(
            "searching",
            lambda c: keyword_query(self._collection(c, self.alias), query_text, k=k, where=where),
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
        if mode == "bm25":
            return self.keyword_search(query_text, k=k, filters=filters)
        where, empty = where_filter(filters)
        if empty or k <= 0:
            return []
        vector = [float(x) for x in query_vector]
        if len(vector) != self.dimension:
            raise ValueError(
                f"query vector has {len(vector)} dimensions, expected {self.dimension}"
            )

        def work(client: weaviate.WeaviateClient) -> list[Hit]:
            handle = self._collection(client, self.alias)
            if mode == "vector":
                return vector_query(handle, vector, k=k, where=where)
            return hybrid_query(handle, query_text, vector, k=k, alpha=alpha, where=where)

        return self._connection.call("searching", work)

    def optimize(self, collection: str | None = None) -> None:
        """Nothing to do: Weaviate folds writes into its indices and compacts by itself."""
        del collection

    def close(self) -> None:
        self._connection.close()
        self._handles = {}
