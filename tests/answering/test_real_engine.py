"""The engine over real retrieval (an ingested handbook subset) with the extractive backend,
a tiny random model (generation, streaming, adapters, queueing) and an OpenAI-style server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.answering import build_answer_service
from knowledge.answering.abstention import DEFAULT_ABSTAIN_BELOW
from knowledge.answering.answer_engine import AnswerEngine
from knowledge.answering.answer_types import Asker
from knowledge.answering.backends import build_generators, engine_options, parse_backend
from knowledge.generation.base import AdapterError
from knowledge.generation.local import LocalGenerator
from knowledge.services import Services
from tests.answering.conftest import make_settings
from tests.generation.fake_openai_server import FakeOpenAIServer

EVERYONE = Asker("U1")
MANAGER = Asker("U2", ("everyone", "managers"))
ANNUAL = "How many days of annual leave do Northwind employees get per year?"


def test_extractive_service_answers_with_real_citations(kb: Services) -> None:
    answer = build_answer_service(kb, backend="extractive").answer(ANNUAL, EVERYONE)
    assert not answer.abstained and answer.model_version == "extractive"
    assert "25 working days" in answer.text
    assert answer.citations and answer.citations[0].source == "annual-leave.md"
    assert {c.number for c in answer.citations} <= set(range(1, len(answer.passages) + 1))
    assert len(answer.text.split()) < 80


def test_answers_only_from_documents_the_asker_may_see(kb: Services) -> None:
    service = build_answer_service(kb, backend="extractive")
    question = "What is the merit increase budget for the 2027 cycle?"
    manager = service.answer(question, MANAGER)
    assert "3.5%" in manager.text
    assert any(c.source == "manager-guide-compensation.md" for c in manager.citations)
    employee = service.answer(question, EVERYONE)
    assert all(p.source_name != "manager-guide-compensation.md" for p in employee.passages)
    assert "3.5%" not in employee.text


def test_unanswerable_questions_abstain_at_the_calibrated_threshold(kb: Services) -> None:
    options = engine_options(kb.settings, abstain_below=DEFAULT_ABSTAIN_BELOW)
    engine = AnswerEngine(kb.retriever, None, options)
    answer = engine.answer("What is Northwind Labs' stock ticker symbol?", EVERYONE)
    assert answer.abstained and kb.settings.help_contact in answer.text


def test_tiny_model_streams_and_its_garbage_is_replaced(kb: Services, tiny_model_dir: Path) -> None:
    generator = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=16)
    engine = AnswerEngine(kb.retriever, generator, engine_options(kb.settings))
    pieces: list[str] = []
    answer = engine.answer(ANNUAL, EVERYONE, on_token=pieces.append)
    assert pieces  # the random model's text streamed in
    # Random weights never produce a grounded, cited answer: the quotes replace it.
    assert answer.grounding_failed and answer.model_version == "extractive"
    assert "25 working days" in answer.text
    assert answer.timings["first_token"] <= answer.timings["total"]


def test_base_and_adapter_share_one_model(
    kb_dir: Path, tiny_model_dir: Path, adapter_v1: Path
) -> None:
    settings = make_settings(kb_dir, base_model=str(tiny_model_dir), generation_device="cpu")
    specs = [parse_backend("base"), parse_backend(f"adapter:{adapter_v1}")]
    generators = build_generators(settings, specs)
    base, tuned = generators["base"], generators[f"adapter:{adapter_v1}"]
    assert base is not None and tuned is not None
    assert (base.model_version, tuned.model_version) == ("tiny-llama", "tiny-llama+adapter:v1")
    assert base._owner is tuned._owner  # type: ignore[attr-defined]  # one base model in memory


def test_missing_or_corrupt_adapters_fail_clearly(kb: Services, tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="not found"):
        build_answer_service(kb, adapter_dir=tmp_path / "nope")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "adapter_config.json").write_text("{not json")
    with pytest.raises(AdapterError, match="corrupt"):
        build_answer_service(kb, backend=f"adapter:{corrupt}")
    with pytest.raises(ValueError, match="unknown backend"):
        build_answer_service(kb, backend="gpt-9")


def test_a_failed_adapter_swap_keeps_the_previous_adapter_answering(
    kb: Services, tiny_model_dir: Path, adapter_v1: Path, tmp_path: Path
) -> None:
    generator = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=8)
    generator.load_adapter(adapter_v1)
    engine = AnswerEngine(kb.retriever, generator, engine_options(kb.settings))
    broken = tmp_path / "v2"
    broken.mkdir()
    with pytest.raises(AdapterError):
        generator.load_adapter(broken)
    assert engine.model_version == "tiny-llama+adapter:v1"
    assert not engine.answer(ANNUAL, EVERYONE).abstained


def test_concurrent_questions_queue_for_the_model(kb: Services, tiny_model_dir: Path) -> None:
    generator = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=8)
    engine = AnswerEngine(kb.retriever, generator, engine_options(kb.settings))
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(engine.answer(ANNUAL, EVERYONE).text))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2 and results[0] == results[1]


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(pieces=["Every employee receives ", "25 working days ", "[1]."])
    server.start()
    yield server
    server.stop()


def test_openai_compatible_server_answers_and_streams(
    kb_dir: Path, kb: Services, openai_server: FakeOpenAIServer
) -> None:
    settings = make_settings(kb_dir, openai_base_url=openai_server.base_url)
    generator = build_generators(settings, [parse_backend("openai")])["openai"]
    engine = AnswerEngine(kb.retriever, generator, engine_options(settings))
    prompted = kb.retriever.retrieve(ANNUAL, k=settings.search_k)[: engine.options.prompt_passages]
    n = next(i for i, p in enumerate(prompted, start=1) if "25 working days" in p.text)
    openai_server.pieces = ["Every employee receives ", "25 working days ", f"[{n}]."]
    pieces: list[str] = []
    answer = engine.answer(ANNUAL, EVERYONE, on_token=pieces.append)
    assert answer.text == f"Every employee receives 25 working days [{n}]."
    assert answer.model_version == "helpbot" and not answer.grounding_failed
    assert "".join(pieces) == answer.text
    assert answer.citations[0].source == "annual-leave.md"
    sent = openai_server.requests[0]["body"]["messages"]
    assert sent[0]["role"] == "system" and "<passages>" in sent[1]["content"]


def test_model_server_down_quotes_sources_with_a_note(kb_dir: Path, kb: Services) -> None:
    settings = make_settings(kb_dir, openai_base_url="http://127.0.0.1:9/v1")
    generator = build_generators(settings, [parse_backend("openai")])["openai"]
    answer = AnswerEngine(kb.retriever, generator, engine_options(settings)).answer(
        ANNUAL, EVERYONE
    )
    assert not answer.abstained and "25 working days" in answer.text
    assert answer.note and "unavailable" in answer.note


def test_a_model_that_cannot_be_built_does_not_crash(kb_dir: Path, kb: Services) -> None:
    settings = make_settings(kb_dir, base_model="/nonexistent/model")
    service = AnswerEngine(
        kb.retriever,
        build_generators(settings, [parse_backend("base")])["base"],
        engine_options(settings),
    )
    answer = service.answer(ANNUAL, EVERYONE)
    assert "25 working days" in answer.text and answer.note


@pytest.mark.slow
def test_shipped_smollm2_answers_a_sample_question(
    kb: Services, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A fresh data dir: the shipped GGUF is converted into its models/ folder (~20-60 s).
    settings = make_settings(tmp_path_factory.mktemp("shipped"), generation_device="cpu")
    generator = build_generators(settings, [parse_backend("base")])["base"]
    engine = AnswerEngine(kb.retriever, generator, engine_options(settings))
    pieces: list[str] = []
    answer = engine.answer(ANNUAL, EVERYONE, on_token=pieces.append)
    assert pieces, "the real model generated text"
    assert not answer.abstained
    assert answer.model_version in ("smollm2-135m-instruct", "extractive")
    # Whatever the model said, the answer the asker gets is right and cited.
    assert "25 working days" in answer.text
    assert any(c.source == "annual-leave.md" for c in answer.citations)
    assert 0 < answer.timings["first_token"] <= answer.timings["total"]


def test_langchain_retriever_interface(kb: Services) -> None:
    from knowledge.answering.lc_retriever import PolicyRetriever

    retriever = PolicyRetriever(retriever=kb.retriever, audiences=("everyone",), k=3)
    documents = retriever.invoke(ANNUAL)
    assert 0 < len(documents) <= 3
    assert documents[0].metadata["source"] == "annual-leave.md"
    assert {"title", "section", "score", "review_by"} <= set(documents[0].metadata)
