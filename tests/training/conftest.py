"""Fixtures for the trainer tests: the real SmolLM2 tokenizer, a tiny random model, datasets."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is imported: never reach for a hub

from pathlib import Path

import pytest

from knowledge.generation.testing import build_tiny_model, smollm2_tokenizer
from pipelines.training.testing import write_synthetic_dataset


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return smollm2_tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer_dir: Path) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", tokenizer_dir)


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 training and 2 validation examples of about 500 tokens each."""
    return write_synthetic_dataset(tmp_path_factory.mktemp("dataset"), train=8, validation=2)
