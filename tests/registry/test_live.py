"""LiveAnswerer in a running engine: promotion and rollback hot-swap LoRA adapters on a tiny
random model; answers in flight finish on the old version; a bad version never takes over."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from knowledge.answering.answer_engine import EngineOptions
from knowledge.answering.answer_types import Asker
from knowledge.answering.prompts import build_messages
from knowledge.db import registry
from knowledge.db.connection import Database
from knowledge.generation.live import LiveAnswerer, VersionEngines
from knowledge.generation.local import LocalGenerator
from tests.answering.fakes import FixedRetriever
from tests.answering.passages import PARENTAL

QUESTION = "How much paid parental leave does a birthing parent get?"
ASKER = Asker("U1", ("everyone",))
OPTIONS = EngineOptions(max_new_tokens=8, prompt_passages=1)


@pytest.fixture
def db(tmp_path: Path, tiny_model_dir: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    database.upgrade()
    registry.ensure_bootstrap(database, base_model=str(tiny_model_dir))
    yield database
    database.dispose()


@pytest.fixture
def local(tiny_model_dir: Path) -> LocalGenerator:
    return LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=8)


def _services(db: Database, settings: Any) -> Any:
    return SimpleNamespace(settings=settings, db=db, retriever=FixedRetriever([PARENTAL]))


def _live(db: Database, settings: Any, local: LocalGenerator) -> LiveAnswerer:
    engines = VersionEngines(_services(db, settings), OPTIONS, local=local)
    return LiveAnswerer(db, engines, poll_s=3600)  # tests call refresh() explicitly


def _ready(db: Database, adapter: Path, base: str) -> str:
    """Register `adapter` and record a passing evaluation for it."""
    version_id = registry.register_candidate(
        db,
        base_model=base,
        adapter_path=adapter,
        dataset_version_id=None,
        dataset_hash=None,
        hyperparameters={},
        code_version="test",
        training_metrics={},
        created_by="test",
    )
    registry.mark_evaluating(db, version_id)
    registry.save_report(
        db, version_id, live_version_id=None, passed=True, report={}, created_by="test"
    )
    return version_id


def _model_text(local: LocalGenerator, adapter: str | None) -> str:
    return local.with_adapter(adapter).generate(build_messages(QUESTION, [PARENTAL])).text


def _streamed(answerer: LiveAnswerer) -> str:
    pieces: list[str] = []
    answerer.answer(QUESTION, ASKER, on_token=pieces.append)
    return "".join(pieces)


def test_promotion_and_rollback_switch_the_running_answerer(
    db: Database, settings: Any, local: LocalGenerator, adapter_v1: Path, tiny_model_dir: Path
) -> None:
    answerer = _live(db, settings, local)
    answer = answerer.answer(QUESTION, ASKER)
    assert answerer.version_id == "extractive" and answer.model_version == "extractive"
    v1 = _ready(db, adapter_v1, str(tiny_model_dir))
    local.load_adapter(adapter_v1, name=v1, activate=False)
    expected = {None: _model_text(local, None), v1: _model_text(local, v1)}
    assert expected[None] != expected[v1]

    registry.promote(db, v1, actor="ana", force=True, reason="test")
    assert answerer.refresh() == v1
    assert answerer.model_version == f"{local.model_name}+adapter:{v1}"
    assert _streamed(answerer) == expected[v1]
    assert local.active_adapter is None  # pinned views: nothing else served changes

    registry.rollback(db, actor="ben")
    assert answerer.refresh() == "extractive"
    assert _streamed(answerer) != expected[v1]


def test_an_answer_in_flight_finishes_on_the_old_version(
    db: Database,
    settings: Any,
    local: LocalGenerator,
    adapter_v1: Path,
    adapter_v2: Path,
    tiny_model_dir: Path,
) -> None:
    v1, v2 = (_ready(db, a, str(tiny_model_dir)) for a in (adapter_v1, adapter_v2))
    local.load_adapter(adapter_v1, name=v1, activate=False)
    local.load_adapter(adapter_v2, name=v2, activate=False)
    expected = {v1: _model_text(local, v1), v2: _model_text(local, v2)}
    registry.promote(db, v1, actor="ana")
    answerer = _live(db, settings, local)
    answerer.refresh()
    first_piece, go_on = threading.Event(), threading.Event()
    pieces: list[str] = []

    def slow_consumer(piece: str) -> None:
        pieces.append(piece)
        first_piece.set()
        go_on.wait(10)

    in_flight = threading.Thread(
        target=lambda: answerer.answer(QUESTION, ASKER, on_token=slow_consumer)
    )
    in_flight.start()
    assert first_piece.wait(30)
    registry.promote(db, v2, actor="ana")  # promoted while v1 is still answering
    switch = threading.Thread(target=answerer.refresh)
    switch.start()
    switch.join(5)  # the switch finishes while v1 is still answering (unless it must wait)
    go_on.set()
    in_flight.join(30)
    switch.join(30)

    assert "".join(pieces) == expected[v1]
    assert answerer.version_id == v2
    assert _streamed(answerer) == expected[v2]


def test_a_version_that_cannot_load_never_takes_over(
    db: Database,
    settings: Any,
    local: LocalGenerator,
    adapter_v1: Path,
    foreign_adapter: Path,
    tiny_model_dir: Path,
) -> None:
    v1 = _ready(db, adapter_v1, str(tiny_model_dir))
    registry.promote(db, v1, actor="ana")
    answerer = _live(db, settings, local)
    assert answerer.refresh() == v1
    # Registered against the right base name, but its weights fit another model's shapes.
    bad = _ready(db, foreign_adapter, str(tiny_model_dir))
    registry.promote(db, bad, actor="ana")

    assert answerer.refresh() == v1
    answer = answerer.answer(QUESTION, ASKER)
    assert not answer.abstained
    assert answerer.version_id == v1
    assert bad not in local.adapters


def test_an_unreadable_registry_keeps_the_current_version(
    db: Database,
    settings: Any,
    local: LocalGenerator,
    adapter_v1: Path,
    tiny_model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v1 = _ready(db, adapter_v1, str(tiny_model_dir))
    registry.promote(db, v1, actor="ana")
    answerer = _live(db, settings, local)
    assert answerer.refresh() == v1

    def database_down(_db: Database) -> str:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(registry, "live_version_id", database_down)
    answerer.poll_s = 0.0
    answer = answerer.answer(QUESTION, ASKER)

    assert answerer.version_id == v1
    assert not answer.abstained


def test_every_process_gets_a_live_answerer_from_its_services(settings: Any) -> None:
    from knowledge.services import Services

    svc = Services.from_settings(settings)
    answerer = svc.answers

    assert isinstance(answerer, LiveAnswerer) and svc.answers is answerer
    assert answerer.refresh() == "extractive"
    assert {v.id for v in registry.list_versions(svc.db)} == {"extractive", "base"}
    svc.close()  # stops its polling thread
    assert answerer._thread is not None and not answerer._thread.is_alive()
