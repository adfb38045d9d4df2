"""Keyword search for the fake: Weaviate's tokenizations, English stopwords, a BM25 index."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Weaviate's "en" stopword preset (removed from keyword queries, not from the index).
EN_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)


@lru_cache(maxsize=65_536)
def _cached_tokens(value: str, tokenization: str) -> tuple[str, ...]:
    return tuple(_split(value, tokenization))


def tokenize(value: str, tokenization: str) -> list[str]:
    """Split one text value the way Weaviate does for the given tokenization."""
    if len(value) <= 64:  # short values (ids, labels, filter values) repeat: remember them
        return list(_cached_tokens(value, tokenization))
    return _split(value, tokenization)


def _split(value: str, tokenization: str) -> list[str]:
    if tokenization == "word":
        return [t.lower() for t in _WORD.findall(value)]
    if tokenization == "lowercase":
        return value.lower().split()
    if tokenization == "whitespace":
        return value.split()
    if tokenization == "field":
        stripped = value.strip()
        return [stripped] if stripped else []
    if tokenization == "trigram":
        letters = "".join(_WORD.findall(value.lower()))
        return [letters[i : i + 3] for i in range(max(len(letters) - 2, 0))]
    raise ValueError(f"unsupported tokenization {tokenization!r}")


def tokens_of(value: Any, tokenization: str) -> list[str]:
    """Tokens of a text or text[] property value."""
    if value is None:
        return []
    if isinstance(value, list):
        return [t for item in value for t in tokenize(str(item), tokenization)]
    return tokenize(str(value), tokenization)


def query_terms(query: str, tokenization: str, stopwords: frozenset[str]) -> list[str]:
    """Distinct query tokens for one property, stopwords dropped (all of them if that is all)."""
    terms = list(dict.fromkeys(tokenize(query, tokenization)))
    kept = [t for t in terms if t not in stopwords] if tokenization == "word" else terms
    return kept or terms


class KeywordIndex:
    """Per-property postings (term -> uuid -> term frequency) and field lengths of one shard."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[str, dict[str, int]]] = {}
        self.lengths: dict[str, dict[str, int]] = {}

    def add(self, uuid: str, prop: str, tokens: list[str]) -> None:
        if not tokens:
            return
        postings = self.postings.setdefault(prop, {})
        for term, tf in Counter(tokens).items():
            postings.setdefault(term, {})[uuid] = tf
        self.lengths.setdefault(prop, {})[uuid] = len(tokens)

    def remove(self, uuid: str, prop: str, tokens: Iterable[str]) -> None:
        postings = self.postings.get(prop, {})
        for term in set(tokens):
            docs = postings.get(term)
            if docs is not None:
                docs.pop(uuid, None)
                if not docs:
                    del postings[term]
        self.lengths.get(prop, {}).pop(uuid, None)

    def bm25(
        self,
        props: dict[str, tuple[list[str], float]],
        *,
        k1: float,
        b: float,
        accept: Callable[[str], bool],
        require_all: bool = False,
        minimum_match: int = 0,
    ) -> dict[str, tuple[float, str]]:
        """uuid -> (score, explanation) for documents matching the query terms.

        `props` maps property -> (query terms for its tokenization, boost). Scores are BM25 per
        property, summed over properties: close to Weaviate's BM25F, not identical.
        """
        scores: dict[str, float] = {}
        matched: dict[str, set[str]] = {}
        explain: dict[str, list[str]] = {}
        all_terms: set[str] = set()
        for prop, (terms, boost) in props.items():
            lengths = self.lengths.get(prop, {})
            if not lengths:
                continue
            n_docs = len(lengths)
            avg_len = sum(lengths.values()) / n_docs
            postings = self.postings.get(prop, {})
            for term in terms:
                all_terms.add(term)
                docs = postings.get(term, {})
                if not docs:
                    continue
                idf = math.log(1 + (n_docs - len(docs) + 0.5) / (len(docs) + 0.5))
                for uuid, tf in docs.items():
                    if not accept(uuid):
                        continue
                    norm = tf + k1 * (1 - b + b * lengths[uuid] / avg_len)
                    scores[uuid] = scores.get(uuid, 0.0) + boost * idf * tf * (k1 + 1) / norm
                    matched.setdefault(uuid, set()).add(term)
                    explain.setdefault(uuid, []).append(
                        f"BM25F_{term}_frequency:{tf}, BM25F_{term}_propLength:{lengths[uuid]}"
                    )
        needed = len(all_terms) if require_all else max(minimum_match, 1)
        return {
            uuid: (score, ", " + ", ".join(explain[uuid]))
            for uuid, score in scores.items()
            if score > 0 and len(matched[uuid]) >= needed
        }
