"""vLLM LoRA adapters by name: OpenAICompatGenerator against the fake server's LoRA routes,
and promotion/rollback through LiveAnswerer on the OpenAI-compatible backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from knowledge.answering.answer_engine import EngineOptions
from knowledge.answering.answer_types import Asker
from knowledge.db import registry
from knowledge.db.connection import Database
from knowledge.generation import AdapterError
from knowledge.generation.live import LiveAnswerer, VersionEngines
from knowledge.generation.openai_compat import OpenAICompatGenerator
from knowledge.settings import Settings
from tests.answering.fakes import FixedRetriever
from tests.answering.passages import PARENTAL
from tests.generation.fake_openai_server import FakeOpenAIServer

ASKER = Asker("U1", ("everyone",))


def _client(server: FakeOpenAIServer) -> OpenAICompatGenerator:
    return OpenAICompatGenerator(server.base_url, "sk-test", "helpbot", 5.0)


def test_load_serve_and_unload_an_adapter(
    openai_server: FakeOpenAIServer, adapter_v1: Path
) -> None:
    client = _client(openai_server)

    client.load_adapter("v1", str(adapter_v1))
    answer = client.with_model("v1", "helpbot+adapter:v1").generate([])

    assert openai_server.loras == {"v1": str(adapter_v1)}
    assert _asked_model(openai_server) == "v1"
    assert "v1" in client.served_models()
    assert answer.model_version == "helpbot+adapter:v1"
    assert client.model == "helpbot"  # the original generator still serves the base model
    client.unload_adapter("v1")
    assert openai_server.loras == {}


def test_a_name_another_replica_loaded_is_accepted(
    openai_server: FakeOpenAIServer, adapter_v1: Path
) -> None:
    openai_server.loras["v1"] = str(adapter_v1)

    _client(openai_server).load_adapter("v1", str(adapter_v1))

    loads = [r for r in openai_server.requests if r["path"] == "/v1/load_lora_adapter"]
    assert loads == []  # seen in /v1/models: no duplicate load asked for


@pytest.mark.parametrize(
    ("setup", "path", "message"),
    [
        ({}, "/nowhere/adapter", "No adapter found for /nowhere/adapter"),
        ({"lora_enabled": False}, None, "LoRA is not enabled"),
        ({"runtime_lora": False}, None, "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"),
    ],
)
def test_what_vllm_refuses_is_an_adapter_error(
    openai_server: FakeOpenAIServer,
    adapter_v1: Path,
    setup: dict[str, bool],
    path: str | None,
    message: str,
) -> None:
    for name, value in setup.items():
        setattr(openai_server, name, value)

    with pytest.raises(AdapterError, match=message):
        _client(openai_server).load_adapter("v1", path or str(adapter_v1))
    assert openai_server.loras == {}


def test_the_fake_refuses_a_duplicate_name_like_vllm(
    openai_server: FakeOpenAIServer, adapter_v1: Path
) -> None:
    client = _client(openai_server)
    client.load_adapter("v1", str(adapter_v1))

    with pytest.raises(AdapterError, match="has already been loaded"):
        client._admin("POST", "/load_lora_adapter", {"lora_name": "v1", "lora_path": "/x"})
    with pytest.raises(AdapterError, match="cannot be found"):
        client.unload_adapter("v9")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    database.upgrade()
    registry.ensure_bootstrap(database, base_model="smollm2-135m-instruct")
    yield database
    database.dispose()


def _ready(db: Database, adapter: Path) -> str:
    version_id = registry.register_candidate(
        db,
        base_model="smollm2-135m-instruct",
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
        db, version_id, live_version_id=None, passed=True, report={}, created_by="t"
    )
    return version_id


def _answerer(db: Database, settings: Settings, server: FakeOpenAIServer) -> LiveAnswerer:
    configured = settings.model_copy(
        update={"generator": "openai", "openai_base_url": server.base_url}
    )
    services: Any = SimpleNamespace(
        settings=configured, db=db, retriever=FixedRetriever([PARENTAL])
    )
    engines = VersionEngines(services, EngineOptions(prompt_passages=1))
    return LiveAnswerer(db, engines, poll_s=3600)


def _asked_model(server: FakeOpenAIServer) -> str:
    chats = [r for r in server.requests if r["path"] == "/v1/chat/completions"]
    return str(chats[-1]["body"]["model"])


def test_promotion_loads_the_adapter_into_vllm_and_rollback_switches_back(
    db: Database, settings: Settings, openai_server: FakeOpenAIServer, adapter_v1: Path
) -> None:
    registry.mark_evaluating(db, "base")
    registry.save_report(db, "base", live_version_id=None, passed=True, report={}, created_by="t")
    registry.promote(db, "base", actor="ana")
    answerer = _answerer(db, settings, openai_server)
    answerer.answer("How much parental leave do I get?", ASKER)
    assert _asked_model(openai_server) == "helpbot"

    v1 = _ready(db, adapter_v1)
    registry.promote(db, v1, actor="ana")
    assert answerer.refresh() == v1
    answerer.answer("How much parental leave do I get?", ASKER)

    assert openai_server.loras == {v1: str(adapter_v1)}
    assert _asked_model(openai_server) == v1
    registry.rollback(db, actor="ben")
    assert answerer.refresh() == "base"
    answerer.answer("How much parental leave do I get?", ASKER)
    assert _asked_model(openai_server) == "helpbot"


def test_a_server_without_lora_keeps_the_live_version(
    db: Database, settings: Settings, openai_server: FakeOpenAIServer, adapter_v1: Path
) -> None:
    openai_server.lora_enabled = False
    answerer = _answerer(db, settings, openai_server)
    assert answerer.refresh() == "extractive"
    v1 = _ready(db, adapter_v1)
    registry.promote(db, v1, actor="ana")

    assert answerer.refresh() == "extractive"
    answer = answerer.answer("How much parental leave do I get?", ASKER)
    assert answer.model_version == "extractive" and not answer.abstained
