"""The vocabulary of ingestion: how documents are cut and labelled, and what happened to a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from knowledge.documents.parsed import Chunk, ParsedDocument
from knowledge.ingest_sources import SourceFile
from knowledge.settings import setting_default
from knowledge.stores.base import ChunkRecord

Outcome = Literal["indexed", "unchanged", "duplicate", "failed"]


@dataclass(frozen=True)
class IngestOptions:
    """How documents are cut and labelled. Explicit values win over what a file says."""

    chunk_tokens: int = setting_default("chunk_tokens")
    overlap_tokens: int = setting_default("chunk_overlap_tokens")
    max_bytes: int = setting_default("max_upload_bytes")
    batch_chunks: int = 256
    default_audiences: tuple[str, ...] = tuple(setting_default("default_audiences"))
    review_period_days: int = setting_default("review_period_days")
    audiences: tuple[str, ...] | None = None
    owner: str | None = None
    review_by: date | None = None
    actor: str = "system"


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; `error` is written for the person who supplied the file."""

    uri: str
    name: str
    outcome: Outcome
    document_id: str | None = None
    version: int | None = None
    chunks: int = 0
    error: str | None = None
    review_updated: date | None = None
    """For an unchanged file: the new review-by date an explicit `review_by` recorded."""


@dataclass
class PreparedFile:
    """A file parsed and chunked, with its new version registered as 'indexing'."""

    source: SourceFile
    document_id: str
    version: int
    parsed: ParsedDocument
    chunks: list[Chunk]
    audiences: tuple[str, ...]
    review_by: date | None
    records: list[ChunkRecord] = field(default_factory=list)
