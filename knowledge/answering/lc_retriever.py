"""Our retrieval as a langchain `BaseRetriever`, for langchain chains and tools (the console's
playground, notebooks); the answer engine itself calls the Retriever directly."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from knowledge.retrieval import Passage
from knowledge.stores.base import EVERYONE


class PolicyRetriever(BaseRetriever):
    """Hybrid search over the live knowledge an audience may see, as langchain Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    """A knowledge.retrieval.Retriever (anything with its `retrieve` signature)."""
    audiences: tuple[str, ...] = (EVERYONE,)
    k: int | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.retriever.retrieve(query, audiences=self.audiences, k=self.k)
        return [to_document(p) for p in passages]


def to_document(passage: Passage) -> Document:
    """A passage as a Document: its text, with citation details and scores as metadata."""
    return Document(
        page_content=passage.text,
        metadata={
            "source": passage.source_name,
            "source_uri": passage.source_uri,
            "title": passage.title,
            "section": passage.section,
            "document_id": passage.document_id,
            "version": passage.version,
            "score": passage.score,
            "vector_score": passage.vector_score,
            "bm25_score": passage.bm25_score,
            "review_by": passage.review_by.isoformat() if passage.review_by else None,
            "stale": passage.stale,
        },
    )
