"""Embedding in batches of similar token counts: same vectors, same row order, less padding."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from knowledge.embeddings import batches_by_token_count


def mixed_texts(count: int) -> list[str]:
    """Texts whose character and token lengths disagree: prose, long links, short lines."""
    rng = random.Random(11)
    texts = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            texts.append(" ".join(rng.choice(["leave", "days", "approval"]) for _ in range(40)))
        elif kind == 1:
            texts.append(f"see https://example.org/{i}/" + "x" * rng.randint(20, 400))
        else:
            texts.append(f"Rule {i}: ask your manager.")
    return texts


def test_batches_cover_every_text_once_longest_first(embedder: Any) -> None:
    texts = mixed_texts(150)
    batches = batches_by_token_count(embedder.tokenizer, texts, 64)
    assert [len(b) for b in batches] == [64, 64, 22]
    order = [i for batch in batches for i in batch]
    assert sorted(order) == list(range(len(texts)))
    lengths = [
        len(embedder.tokenizer(texts[i], add_special_tokens=False)["input_ids"]) for i in order
    ]
    assert lengths == sorted(lengths, reverse=True)


def test_vectors_are_those_of_the_plain_model_in_input_order(embedder: Any) -> None:
    texts = mixed_texts(70)  # more than one batch: the reordering path
    ours = embedder.encode(texts)
    plain = embedder._load().encode(
        texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
    )
    assert ours.shape == (70, embedder.dimension) and ours.dtype == np.float32
    # Row for row (a shuffled row would differ by far more than batch padding noise).
    assert float(np.abs(ours - plain).max()) < 1e-3
