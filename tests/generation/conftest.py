"""Fixtures for the generation tests: the real SmolLM2 tokenizer, tiny random models, adapters."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is imported: never reach for a hub

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from knowledge.generation.base import ChatMessage
from knowledge.generation.local import LocalGenerator
from knowledge.generation.testing import build_tiny_model, make_lora_adapter, smollm2_tokenizer

from .fake_openai_server import FakeOpenAIServer


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return smollm2_tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer_dir: Path) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", tokenizer_dir)


@pytest.fixture(scope="session")
def adapter_v1(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    return make_lora_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapters") / "v1", seed=1)


@pytest.fixture(scope="session")
def adapter_v2(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    return make_lora_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapters") / "v2", seed=2)


@pytest.fixture(scope="session")
def foreign_adapter(tmp_path_factory: pytest.TempPathFactory, tokenizer_dir: Path) -> Path:
    """A valid LoRA adapter, but for a model of another width (hidden size 32, not 64)."""
    root = tmp_path_factory.mktemp("foreign")
    other = build_tiny_model(root / "narrow-llama", tokenizer_dir, hidden_size=32)
    return make_lora_adapter(other, root / "narrow-adapter")


@pytest.fixture
def generator(tiny_model_dir: Path) -> LocalGenerator:
    return LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=12)


@pytest.fixture
def question() -> list[ChatMessage]:
    return [
        SystemMessage("Answer from the passages.\n[1] Staff get 25 days of paid leave a year."),
        HumanMessage("How many vacation days do I get?"),
    ]


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
