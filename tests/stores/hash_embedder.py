"""A fast stand-in for the embedding model: word-hash vectors with the real tokenizer."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from knowledge.embeddings import fingerprint
from knowledge.ingest import SourceFile
from knowledge.services import Services


class HashEmbedder:
    """Deterministic 16-d unit vectors from each text's words, with the real tokenizer: fast
    enough to embed ten thousand passages twice in a test."""

    dimension = 16

    def __init__(self, tokenizer: Any, name: str) -> None:
        self.tokenizer = tokenizer
        self.name = name
        self.fingerprint = fingerprint(name, self.dimension)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.full((len(texts), self.dimension), 0.01, dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return normalised

    def encode_query(self, text: str) -> list[float]:
        return [float(x) for x in self.encode([text])[0]]


def upload(services: Services, *named: tuple[str, str]) -> dict[str, str]:
    """Uploaded bytes (no source to read again); returns file name -> document id."""
    files = [SourceFile.from_bytes(name, text.encode()) for name, text in named]
    results = list(services.ingestor().ingest(files))
    assert all(r.error is None and r.document_id for r in results), results
    return {name: str(r.document_id) for (name, _), r in zip(named, results, strict=True)}
