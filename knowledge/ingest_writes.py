"""Batching for ingestion: embed a batch of files' chunks together and store them in one write."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.documents.chunking import contextual_text
from knowledge.embeddings import Embedder
from knowledge.ingest_types import PreparedFile
from knowledge.stores.base import ChunkRecord, VectorStore


def embed_batch(embedder: Embedder, batch: Sequence[PreparedFile]) -> None:
    """Embed every chunk of the batch in one call (the embedder wants full batches) and
    attach each file's chunk records to it."""
    texts = [
        contextual_text(p.parsed.title, c.heading_path, c.text) for p in batch for c in p.chunks
    ]
    vectors = embedder.encode(texts)
    row = 0
    for prepared in batch:
        prepared.records = [
            ChunkRecord(
                document_id=prepared.document_id,
                version=prepared.version,
                chunk_index=chunk.index,
                text=chunk.text,
                title=prepared.parsed.title,
                heading_path=chunk.heading_path,
                source_uri=prepared.source.uri,
                audiences=prepared.audiences,
                review_by=prepared.review_by,
                vector=tuple(float(x) for x in vectors[row + i]),
            )
            for i, chunk in enumerate(prepared.chunks)
        ]
        row += len(prepared.chunks)


def write_batch(store: VectorStore, batch: Sequence[PreparedFile]) -> dict[int, str]:
    """Store a batch's chunks in one write (stores pay per write, not per row); return
    the error of each file that could not be stored, by its position in the batch."""
    try:
        result = store.upsert([record for p in batch for record in p.records])
    except Exception:
        # The batch write failed as a whole: write file by file to keep the good ones
        # (safe to repeat: chunk ids are deterministic and writes replace).
        attempts = {i: _write_one(store, p) for i, p in enumerate(batch)}
        return {i: error for i, error in attempts.items() if error}
    refused = dict(result.errors)
    errors: dict[int, str] = {}
    for position, prepared in enumerate(batch):
        reasons = [refused[r.id] for r in prepared.records if r.id in refused]
        if reasons:
            errors[position] = f"{len(reasons)} passages were refused by the store: {reasons[0]}"
    return errors


def _write_one(store: VectorStore, prepared: PreparedFile) -> str | None:
    try:
        result = store.upsert(prepared.records)
    except Exception as exc:
        return str(exc)
    if result.errors:
        return f"{len(result.errors)} passages were refused by the store: {result.errors[0][1]}"
    return None
