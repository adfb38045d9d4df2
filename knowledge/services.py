"""Building the adapters from Settings: what every entry point (CLI, bot, console, workers) shares.

Entry points call `Services.from_settings(settings)`; nothing here connects until a service
is first used, so commands that need only SQL never load the embedding model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from knowledge.db.connection import Database
from knowledge.embeddings import Embedder
from knowledge.ingest import IngestOptions, Ingestor
from knowledge.retrieval import RetrievalSettings, Retriever
from knowledge.settings import Settings
from knowledge.stores.base import VectorStore, collection_name

if TYPE_CHECKING:
    from knowledge.answering.answer_types import AnswerService


def build_store(settings: Settings, embedder: Embedder) -> VectorStore:
    """Weaviate when HELPBOT_WEAVIATE_URL is set, else the embedded LanceDB store."""
    default = collection_name(embedder.fingerprint)
    if settings.weaviate_url:
        from knowledge.stores.weaviate_store import WeaviateStore

        api_key = (
            settings.weaviate_api_key.get_secret_value() if settings.weaviate_api_key else None
        )
        return WeaviateStore(
            settings.weaviate_url,
            grpc_port=settings.weaviate_grpc_port,
            api_key=api_key,
            dimension=embedder.dimension,
            default_collection=default,
            timeout_s=settings.weaviate_timeout_s,
        )
    from knowledge.stores.lancedb_store import LanceDBStore

    return LanceDBStore(
        settings.lancedb_dir, dimension=embedder.dimension, default_collection=default
    )


@dataclass
class Services:
    """The shared adapters of one process, created on first use."""

    settings: Settings

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(settings)

    @cached_property
    def db(self) -> Database:
        database = Database(self.settings.sql_url)
        database.upgrade()
        return database

    @cached_property
    def embedder(self) -> Embedder:
        s = self.settings
        return Embedder(
            s.embedding_model, device=s.embedding_device, batch_size=s.embedding_batch_size
        )

    @cached_property
    def store(self) -> VectorStore:
        store = build_store(self.settings, self.embedder)
        store.ensure_schema()
        return store

    def ingest_options(self, **overrides: object) -> IngestOptions:
        s = self.settings
        base = IngestOptions(
            chunk_tokens=s.chunk_tokens,
            overlap_tokens=s.chunk_overlap_tokens,
            max_bytes=s.max_upload_bytes,
            batch_chunks=max(s.embedding_batch_size * 4, 64),
            default_audiences=tuple(s.default_audiences),
            review_period_days=s.review_period_days,
        )
        return replace(base, **overrides)  # type: ignore[arg-type]

    def ingestor(self, **overrides: object) -> Ingestor:
        return Ingestor(self.db, self.store, self.embedder, self.ingest_options(**overrides))

    @cached_property
    def retriever(self) -> Retriever:
        s = self.settings
        return Retriever(
            self.db,
            self.store,
            self.embedder,
            RetrievalSettings(
                k=s.search_k,
                alpha=s.hybrid_alpha,
                min_score=s.min_score,
                stale_penalty=s.stale_penalty,
            ),
        )

    @cached_property
    def answers(self) -> AnswerService:
        """The process's answer service: it follows the model registry's live version
        (knowledge.generation.live.LiveAnswerer, polling every model_poll_seconds)."""
        from knowledge.generation.live import live_answer_service

        return live_answer_service(self)

    def close(self) -> None:
        if "answers" in self.__dict__:
            self.answers.stop()  # type: ignore[attr-defined]
        if "store" in self.__dict__:
            self.store.close()
        if "db" in self.__dict__:
            self.db.dispose()
