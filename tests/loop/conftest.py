"""Fixtures of the learning-loop test: a tiny random model and Services that run it locally."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is imported: never reach for a hub

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.generation.testing import build_tiny_model, smollm2_tokenizer
from knowledge.ingest import SourceFile
from knowledge.services import Services
from knowledge.settings import Settings
from tests.conftest import HANDBOOK

KB_FILES = ("annual-leave.md", "expenses.md")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random Llama with the real SmolLM2 tokenizer: trains and answers in seconds on a CPU."""
    tokenizer = smollm2_tokenizer(tmp_path_factory.mktemp("tokenizer"))
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama", tokenizer)


@pytest.fixture
def loop_services(
    settings: Settings, embedder: object, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Services]:
    """Services on the tier's database and store whose base model is the tiny model (as
    HELPBOT_BASE_MODEL would name it), with two handbook policies ingested."""
    monkeypatch.setenv("HELPBOT_BASE_MODEL", str(tiny_model))
    monkeypatch.setenv("HELPBOT_MAX_NEW_TOKENS", "8")
    monkeypatch.setenv("HELPBOT_SLACK_TRAINING_CONSENT", "true")  # an admin turned it on
    monkeypatch.setenv("HELPBOT_MODEL_POLL_SECONDS", "0")  # follow the registry at every answer
    svc = Services.from_settings(Settings())
    svc.__dict__["embedder"] = embedder  # the session's loaded model (cached_property slot)
    results = list(svc.ingestor().ingest(SourceFile.from_path(HANDBOOK / f) for f in KB_FILES))
    assert [r.outcome for r in results] == ["indexed"] * len(KB_FILES), [r.error for r in results]
    yield svc
    svc.close()
