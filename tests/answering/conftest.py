"""Fixtures for the answer engine: a small real knowledge base, tiny random models, settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knowledge.generation.testing import build_tiny_model, make_lora_adapter, smollm2_tokenizer
from knowledge.ingest import SourceFile
from knowledge.services import Services
from knowledge.settings import Settings
from tests.conftest import HANDBOOK

KB_FILES = ("annual-leave.md", "expenses.md", "manager-guide-compensation.md")


def make_settings(data_dir: Path, **values: Any) -> Settings:
    """Settings for one test, ignoring the environment's HELPBOT_* variables and any .env."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("HELPBOT_")}
    try:
        return Settings(_env_file=None, data_dir=data_dir, **values)  # type: ignore[call-arg]
    finally:
        os.environ.update(saved)


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """A data directory with three handbook documents ingested (once per session)."""
    data_dir = tmp_path_factory.mktemp("kb") / "data"
    svc = Services.from_settings(make_settings(data_dir))
    svc.__dict__["embedder"] = embedder
    results = list(svc.ingestor().ingest(SourceFile.from_path(HANDBOOK / f) for f in KB_FILES))
    assert all(r.outcome == "indexed" for r in results), [r.error for r in results]
    svc.close()
    return data_dir


@pytest.fixture
def kb(kb_dir: Path, embedder: Any) -> Iterator[Services]:
    """Services over the ingested knowledge base (read-only use)."""
    svc = Services.from_settings(make_settings(kb_dir))
    svc.__dict__["embedder"] = embedder
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return smollm2_tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer_dir: Path) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", tokenizer_dir)


@pytest.fixture(scope="session")
def adapter_v1(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    return make_lora_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapters") / "v1", seed=1)
