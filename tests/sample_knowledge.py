"""The whole sample handbook ingested once per test session, copied into each test that asks it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from knowledge.ingest import SourceFile
from knowledge.services import Services
from knowledge.settings import Settings
from tests.conftest import HANDBOOK

_READY = ".ingested"


def default_settings(data_dir: Path) -> Settings:
    """The settings `make run` has on a fresh clone (every default; no .env, no HELPBOT_
    variable of the developer's shell), on this data folder."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("HELPBOT_") and not name.startswith("HELPBOT_TEST_"):
                patch.delenv(name)
        return Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]


def handbook_services(base: Path, data_dir: Path, embedder: Any) -> Services:
    """Services on a copy of the sample handbook's knowledge base (SQLite and LanceDB, every
    default). The first call of a session ingests the handbook under `base`; later calls with
    the same base copy it, so tests that ask it pay for one ingest between them."""
    template = base / "sample-handbook-knowledge"
    if not (template / _READY).exists():
        shutil.rmtree(template, ignore_errors=True)
        svc = _services(default_settings(template), embedder)
        try:
            files = sorted(p for p in HANDBOOK.iterdir() if p.is_file())
            results = list(svc.ingestor().ingest(SourceFile.from_path(f) for f in files))
            failed = [r for r in results if r.outcome != "indexed"]
            assert not failed, f"the sample handbook did not ingest: {failed}"
        finally:
            svc.close()
        (template / _READY).touch()
    shutil.copytree(template, data_dir)
    return _services(default_settings(data_dir), embedder)


def _services(settings: Settings, embedder: Any) -> Services:
    svc = Services.from_settings(settings)
    svc.__dict__["embedder"] = embedder  # the session's loaded model (cached_property slot)
    return svc
