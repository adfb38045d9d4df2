"""Settings is the one source of every default: its environment variables change what each
component does, and a component built without Settings behaves as one built from defaults."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from knowledge.answering.answer_engine import AnswerEngine, EngineOptions
from knowledge.answering.answer_types import Asker
from knowledge.answering.backends import engine_options
from knowledge.embeddings import Embedder
from knowledge.ingest import IngestOptions
from knowledge.retrieval import OVERFETCH, RetrievalSettings, Retriever
from knowledge.services import Services
from knowledge.settings import Settings, setting_default
from pipelines.evaluation.evaluate import gate_config
from pipelines.evaluation.gate import gate
from pipelines.worker.loop import WorkerOptions
from pipelines.worker.process import options_from
from tests.answering.fakes import FixedRetriever
from tests.answering.passages import PARENTAL
from tests.environment import clean_environment  # noqa: F401 - autouse fixture

QUESTION = "How much paid parental leave does a non-birthing parent get?"


class RecordingStore:
    """A vector store that finds nothing and records how it was asked."""

    def __init__(self) -> None:
        self.searches: list[dict[str, Any]] = []

    def search(self, text: str, vector: list[float], **options: Any) -> list[Any]:
        self.searches.append(options)
        return []


class FlatEmbedder:
    dimension = 4

    def encode_query(self, text: str) -> list[float]:
        return [0.5] * self.dimension


def services_without_io(settings: Settings, store: RecordingStore) -> Services:
    """Services whose store and embedder are the fakes above (the database is never reached:
    a search that finds nothing never consults the registry)."""
    services = Services(settings)
    services.__dict__.update(db=object(), store=store, embedder=FlatEmbedder())
    return services


def test_setting_default_is_the_field_default_whatever_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = Settings().hybrid_alpha
    monkeypatch.setenv("HELPBOT_HYBRID_ALPHA", "0.25")
    assert Settings().hybrid_alpha == 0.25
    assert setting_default("hybrid_alpha") == default != 0.25
    setting_default("default_audiences").append("mutated")
    assert setting_default("default_audiences") == Settings().default_audiences
    with pytest.raises(KeyError):
        setting_default("no_such_setting")


def test_search_variables_change_how_the_retriever_searches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELPBOT_HYBRID_ALPHA", "0.25")
    monkeypatch.setenv("HELPBOT_SEARCH_K", "3")
    store = RecordingStore()
    services_without_io(Settings(), store).retriever.retrieve(QUESTION)
    (search,) = store.searches
    assert (search["alpha"], search["k"]) == (0.25, 3 * OVERFETCH)


def test_a_retriever_built_without_settings_searches_as_the_default_settings_do() -> None:
    from_settings, bare = RecordingStore(), RecordingStore()
    services_without_io(Settings(), from_settings).retriever.retrieve(QUESTION)
    Retriever(object(), bare, FlatEmbedder(), RetrievalSettings()).retrieve(QUESTION)  # type: ignore[arg-type]
    assert bare.searches == from_settings.searches and len(bare.searches) == 1


def engine(options: EngineOptions) -> AnswerEngine:
    return AnswerEngine(FixedRetriever([PARENTAL]), None, options)


def test_abstention_variables_change_when_the_engine_abstains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PARENTAL's best cosine is 0.7: answered by default, refused above an abstain_below of 0.9.
    assert not engine(engine_options(Settings())).answer(QUESTION, Asker("U1")).abstained
    assert not engine(EngineOptions()).answer(QUESTION, Asker("U1")).abstained
    monkeypatch.setenv("HELPBOT_ABSTAIN_BELOW", "0.9")
    monkeypatch.setenv("HELPBOT_HELP_CONTACT", "#hr-desk")
    answer = engine(engine_options(Settings())).answer(QUESTION, Asker("U1"))
    assert answer.abstained and "#hr-desk" in answer.text


def test_an_engine_built_without_settings_answers_as_the_default_settings_do() -> None:
    options = engine_options(Settings())
    bare = EngineOptions()
    # engine_options caps generated tokens for the CPU; everything else is the same.
    assert bare == EngineOptions(**{**options.__dict__, "max_new_tokens": bare.max_new_tokens})


def test_gate_variables_change_what_the_gate_lets_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = {"key_fact_accuracy": 0.50, "grounding_pass_rate": 0.50}
    candidate = {"key_fact_accuracy": 0.55, "grounding_pass_rate": 0.50}
    assert gate(candidate, live).passed
    assert gate(candidate, live, gate_config(Settings())).passed
    monkeypatch.setenv("HELPBOT_GATE_MIN_GAIN", "0.10")
    verdict = gate(candidate, live, gate_config(Settings()))
    assert not verdict.passed and verdict.failed == ("min_gain",)


def test_worker_variables_change_how_a_worker_paces_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert options_from(Settings()) == WorkerOptions()
    monkeypatch.setenv("HELPBOT_WORKER_LEASE_SECONDS", "7")
    monkeypatch.setenv("HELPBOT_WORKER_MAX_ATTEMPTS", "4")
    options = options_from(Settings())
    assert (options.lease, options.max_attempts) == (timedelta(seconds=7), 4)


def test_chunking_variables_change_how_documents_are_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Services(Settings()).ingest_options() == IngestOptions()
    monkeypatch.setenv("HELPBOT_CHUNK_TOKENS", "64")
    monkeypatch.setenv("HELPBOT_CHUNK_OVERLAP_TOKENS", "8")
    monkeypatch.setenv("HELPBOT_DEFAULT_AUDIENCES", '["staff"]')
    options = Services(Settings()).ingest_options()
    assert (options.chunk_tokens, options.overlap_tokens) == (64, 8)
    assert options.default_audiences == ("staff",)


def test_embedding_variables_change_how_passages_are_embedded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = Services(Settings()).embedder  # built lazily: no model is loaded here
    bare = Embedder()
    assert (bare.device, bare.batch_size) == (default.device, default.batch_size)
    monkeypatch.setenv("HELPBOT_EMBEDDING_BATCH_SIZE", "8")
    monkeypatch.setenv("HELPBOT_EMBEDDING_DEVICE", "cuda")
    embedder = Services(Settings()).embedder
    assert (embedder.device, embedder.batch_size) == ("cuda", 8)
