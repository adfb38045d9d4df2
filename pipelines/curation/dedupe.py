"""Near-duplicate question grouping (pure): paraphrases of one question share a group.

Two questions are near-duplicates when their content-word stems (the answer engine's own
tokenizer) overlap enough, or, given sentence embeddings, when their cosine similarity is
high. Groups are the connected components, so a popular question asked fifty ways is one
group: it can be capped in a dataset and never straddles a train/test split.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from knowledge.answering.extractive import terms

DEFAULT_JACCARD = 0.8
DEFAULT_COSINE = 0.9


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group_near_duplicates(
    questions: Sequence[str],
    vectors: Sequence[Sequence[float]] | None = None,
    *,
    min_jaccard: float = DEFAULT_JACCARD,
    min_cosine: float = DEFAULT_COSINE,
) -> list[int]:
    """A group number per question (the index of the group's first question)."""
    count = len(questions)
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    stems = [terms(q) for q in questions]
    for i, j in _candidate_pairs(stems, min_jaccard):
        if jaccard(stems[i], stems[j]) >= min_jaccard:
            union(i, j)
    if vectors is not None and count:
        matrix = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = matrix / np.where(norms == 0, 1.0, norms)
        similar = np.argwhere(np.triu(unit @ unit.T, k=1) >= min_cosine)
        for i, j in similar:
            union(int(i), int(j))
    return [find(i) for i in range(count)]


def _candidate_pairs(stems: Sequence[set[str]], threshold: float) -> set[tuple[int, int]]:
    """Pairs that may reach the Jaccard threshold (prefix filtering): with each set's terms in
    one global order, rarest first, two sets with Jaccard >= t share a term among the first
    |A| - ceil(t |A|) + 1 of each. Near-linear instead of comparing every pair."""
    frequency = Counter(term for s in stems for term in s)
    index: dict[str, list[int]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    empty = [i for i, s in enumerate(stems) if not s]
    pairs.update((a, b) for n, a in enumerate(empty) for b in empty[n + 1 :])
    for i, s in enumerate(stems):
        ordered = sorted(s, key=lambda term: (frequency[term], term))
        prefix = len(ordered) - math.ceil(threshold * len(ordered)) + 1
        for term in ordered[:prefix]:
            for j in index[term]:
                pairs.add((j, i))
            index[term].append(i)
    return pairs
