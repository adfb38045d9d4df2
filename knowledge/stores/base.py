"""The vector-store seam: the records, filters and protocol every backend implements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol, runtime_checkable

SearchMode = Literal["hybrid", "bm25", "vector"]

# A fixed namespace so chunk ids are the same on every machine and every backend.
CHUNK_NAMESPACE = uuid.UUID("6f1c7d2e-8a41-5b7e-9c53-1e0f4b2a9d77")

EVERYONE = "everyone"


def chunk_id(document_id: str, version: int, chunk_index: int) -> str:
    """The deterministic id of one chunk: uuid5 of (document, version, position)."""
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{document_id}:{version}:{chunk_index}"))


def collection_name(embedding_fingerprint: str) -> str:
    """The concrete collection for chunks embedded by one model, e.g. 'HelpbotChunks_3f9a2c1d'.

    Starts with a capital and uses only letters, digits and '_' (Weaviate's class-name rule).
    """
    return f"HelpbotChunks_{embedding_fingerprint}"


@dataclass(frozen=True)
class ChunkRecord:
    """One passage as stored: its text, where it came from, who may see it, and its vector."""

    document_id: str
    version: int
    chunk_index: int
    text: str
    title: str
    heading_path: tuple[str, ...]
    source_uri: str
    audiences: tuple[str, ...] = (EVERYONE,)
    review_by: date | None = None
    status: str = "active"
    vector: tuple[float, ...] = ()
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(
                self, "id", chunk_id(self.document_id, self.version, self.chunk_index)
            )

    @property
    def section(self) -> str:
        """The heading path as one line, e.g. 'Parental leave > Eligibility'."""
        return " > ".join(self.heading_path)


@dataclass(frozen=True)
class SearchFilter:
    """What a search may return. None means 'no restriction' for that field."""

    audiences: Sequence[str] | None = None
    """Return chunks shared with at least one of these audiences."""
    document_ids: Sequence[str] | None = None
    """Return only chunks of these documents."""
    statuses: Sequence[str] | None = ("active",)
    """Return only chunks whose status is one of these."""


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a search with its fused score and both component scores."""

    chunk: ChunkRecord
    score: float
    """The ranking score: for hybrid, the fused score in [0, 1]; else the single method's."""
    bm25_score: float | None = None
    """The raw keyword (BM25) score, None when the chunk was not found by keywords."""
    vector_score: float | None = None
    """Cosine similarity of the query and chunk vectors, None when not found by vector."""


@dataclass(frozen=True)
class UpsertResult:
    """What a batch upsert did: ids written, and per-object errors (never silently dropped)."""

    written: tuple[str, ...]
    errors: tuple[tuple[str, str], ...] = ()
    """(chunk id, error message) for every object the store refused."""

    @property
    def ok(self) -> bool:
        return not self.errors


class StoreUnavailableError(RuntimeError):
    """The store cannot be reached or answered with a server error; callers say so plainly."""


class SchemaMismatchError(RuntimeError):
    """The store's live schema is incompatible with what this version of helpbot needs."""


@runtime_checkable
class VectorStore(Protocol):
    """A searchable store of chunks. LanceDB (embedded) and Weaviate implement it.

    Implementations own their schema and connection; nothing connects at import time.
    Queries go through an alias that names one concrete collection; a full rebuild (a new
    embedding model, a schema change) fills a new collection beside the live one and then
    `activate`s it, so answers never stop during the rebuild. Collection names follow
    `collection_name()` so the embedding model a collection was built with is visible in it.
    """

    name: str

    def ensure_schema(self) -> None:
        """Create the default collection and point the alias at it when there is none yet
        (idempotent); raise SchemaMismatchError when the live schema is incompatible."""

    def active_collection(self) -> str | None:
        """The concrete collection the alias points at (None before ensure_schema)."""

    def list_collections(self) -> list[str]:
        """Every concrete chunk collection this store manages (active or not)."""

    def create_collection(self, name: str) -> None:
        """Create an empty concrete collection beside the live one (idempotent)."""

    def activate(self, name: str) -> None:
        """Point the alias at `name` in one step: every later query reads that collection."""

    def drop_collection(self, name: str) -> None:
        """Delete a concrete collection that is not active (raise ValueError if it is)."""

    def upsert(
        self, chunks: Sequence[ChunkRecord], *, collection: str | None = None
    ) -> UpsertResult:
        """Insert or replace chunks by id (into the active collection unless named).

        Vectors must be set and of the store's dimension. Objects the store refuses are listed
        in the result's errors. If the store fails part-way it raises StoreUnavailableError;
        some chunks may already be written, and retrying the same batch is safe (ids are
        deterministic, writes replace)."""

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
        """The k best chunks, best first. alpha=1 is pure vector, alpha=0 pure BM25.

        mode="bm25" ignores the vector; callers without one use `keyword_search`."""

    def keyword_search(
        self, query_text: str, *, k: int = 10, filters: SearchFilter | None = None
    ) -> list[Hit]:
        """The k best chunks by BM25 alone, best first; no vector is needed ([] for blank text).
        Each hit's score is its BM25 score (also in bm25_score; vector_score is None)."""

    def list_chunks(
        self, document_id: str, version: int, *, collection: str | None = None
    ) -> list[ChunkRecord]:
        """Every stored chunk of one document version, in chunk order, whatever its status or
        audiences and however many (read in pages: no query limit applies). Vectors are not
        returned. Reads the active collection unless `collection` is named."""

    def delete(self, document_id: str, *, versions: Sequence[int] | None = None) -> int:
        """Remove a document's chunks (only the given versions when set); return how many."""

    def count(self, filters: SearchFilter | None = None) -> int:
        """How many chunks match the filter (all statuses when filters is None)."""

    def document_versions(self, document_id: str) -> set[int]:
        """The versions of a document that have chunks in the store."""

    def optimize(self, collection: str | None = None) -> None:
        """Compact storage and fold recent writes into the indices (of the active collection
        unless one is named). Run after a batch of writes; a store whose server maintains its
        own indices does nothing."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
