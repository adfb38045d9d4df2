"""OpenAICompatGenerator against a real local HTTP server speaking /v1/chat/completions."""

from __future__ import annotations

import socket

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from knowledge.generation import AdapterError, Generator, GeneratorUnavailableError
from knowledge.generation.base import ChatMessage
from knowledge.generation.openai_compat import OpenAICompatGenerator

from .fake_openai_server import FakeOpenAIServer

CONVERSATION: list[ChatMessage] = [
    SystemMessage("Answer from the passages.\n[1] Staff get 25 days of paid leave."),
    HumanMessage("How much leave do I get?"),
    AIMessage("25 days."),
    HumanMessage("And in my first year?"),
]


def _generator(
    server: FakeOpenAIServer, model: str = "v3", **kwargs: object
) -> OpenAICompatGenerator:
    return OpenAICompatGenerator(server.base_url, "sk-test", model, 5.0, **kwargs)  # type: ignore[arg-type]


def test_plain_request(openai_server: FakeOpenAIServer) -> None:
    generator = _generator(openai_server, max_new_tokens=64)

    result = generator.generate(CONVERSATION)

    assert result.text == "Staff get 25 days."
    assert (result.prompt_tokens, result.completion_tokens) == (42, 4)
    assert result.model_version == generator.model_version == "v3"
    [request] = openai_server.requests
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert body["model"] == "v3"
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("system", CONVERSATION[0].content),
        ("user", "How much leave do I get?"),
        ("assistant", "25 days."),
        ("user", "And in my first year?"),
    ]
    assert body["max_completion_tokens"] == 64
    assert body["temperature"] == 0.0
    assert not body.get("stream")
    assert isinstance(generator, Generator)


def test_streaming(openai_server: FakeOpenAIServer) -> None:
    pieces: list[str] = []

    result = _generator(openai_server).generate(
        CONVERSATION, max_new_tokens=7, on_token=pieces.append
    )

    assert pieces == ["Staff ", "get ", "25 ", "days."]
    assert result.text == "Staff get 25 days."
    assert (result.prompt_tokens, result.completion_tokens) == (42, 4)
    assert result.first_token_s <= result.total_s
    body = openai_server.requests[0]["body"]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 7


def test_set_model_switches_the_adapter_vllm_serves(openai_server: FakeOpenAIServer) -> None:
    generator = _generator(openai_server, model="v3")

    generator.set_model("v4", model_version="smollm2-135m-instruct+adapter:v4")
    result = generator.generate(CONVERSATION)

    assert openai_server.requests[-1]["body"]["model"] == "v4"
    assert result.model_version == generator.model_version == "smollm2-135m-instruct+adapter:v4"


def test_unknown_model_name_is_an_adapter_error(openai_server: FakeOpenAIServer) -> None:
    with pytest.raises(AdapterError, match="no model named 'v9'"):
        _generator(openai_server, model="v9").generate(CONVERSATION)


@pytest.mark.parametrize("streaming", [False, True])
def test_server_error_is_unavailable(openai_server: FakeOpenAIServer, streaming: bool) -> None:
    openai_server.status = 500
    on_token = (lambda _piece: None) if streaming else None

    with pytest.raises(GeneratorUnavailableError, match="failed"):
        _generator(openai_server, max_retries=1).generate(CONVERSATION, on_token=on_token)

    assert len(openai_server.requests) == 2  # one retry, then give up


def test_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    generator = OpenAICompatGenerator(f"http://127.0.0.1:{port}/v1", "x", "v3", 5.0, max_retries=0)

    with pytest.raises(GeneratorUnavailableError, match="Connection error"):
        generator.generate(CONVERSATION)


def test_a_trickling_stream_is_cut_off_at_the_deadline(openai_server: FakeOpenAIServer) -> None:
    openai_server.chunk_delay_s = 0.4  # every read is quick; the whole answer is not
    generator = OpenAICompatGenerator(openai_server.base_url, "x", "v3", 1.0, max_retries=0)

    with pytest.raises(GeneratorUnavailableError, match="took more than"):
        generator.generate(CONVERSATION, on_token=lambda _piece: None)


def test_slow_server_times_out(openai_server: FakeOpenAIServer) -> None:
    openai_server.delay_s = 3.0
    generator = OpenAICompatGenerator(openai_server.base_url, "x", "v3", 0.3, max_retries=0)

    with pytest.raises(GeneratorUnavailableError, match=r"(?i)timed? ?out"):
        generator.generate(CONVERSATION)
