"""Keyword-only retrieval on both stores: BM25 needs no embedding of the question."""

from __future__ import annotations

import pytest

from knowledge.services import Services
from tests.pipelines.policies import BICYCLE, COWORKING
from tests.stores.hash_embedder import upload

SALARY_BANDS = """---
title: Salary bands
audiences: [managers]
---
# Salary bands

## Reviews
Salary bands are reviewed every April by the people team.
"""


def refuse_to_embed(text: str) -> list[float]:
    raise AssertionError(f"the question was embedded: {text!r}")


def test_keyword_retrieval_embeds_nothing_and_keeps_audiences(
    hashed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(hashed, ("coworking.md", COWORKING), ("bicycle.md", BICYCLE), ("bands.md", SALARY_BANDS))
    monkeypatch.setattr(hashed.embedder, "encode_query", refuse_to_embed)
    retriever = hashed.retriever

    found = retriever.retrieve("bicycle repairs per year", mode="bm25", k=3)

    assert "EUR 90" in found[0].text
    assert all(p.bm25_score is not None and p.vector_score is None for p in found)
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    everyone = retriever.retrieve("salary bands reviewed", mode="bm25")
    assert all("April" not in p.text for p in everyone)
    managers = retriever.retrieve("salary bands reviewed", mode="bm25", audiences=("managers",))
    assert "April" in managers[0].text
    with pytest.raises(AssertionError, match="the question was embedded"):
        retriever.retrieve("bicycle repairs per year", mode="hybrid")
