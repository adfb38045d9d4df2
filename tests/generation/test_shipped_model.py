"""The real SmolLM2 (slow: converted from GGUF on CPU) and bf16 generation on CUDA (gpu)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from langchain_core.messages import HumanMessage, SystemMessage

from knowledge.generation.base import ChatMessage
from knowledge.generation.local import LocalGenerator
from knowledge.generation.model_files import SHIPPED_MODEL_NAME, resolve_base_model

CAPITAL: list[ChatMessage] = [
    SystemMessage("You are a helpful assistant. Answer in one sentence."),
    HumanMessage("What is the capital of France?"),
]


@pytest.fixture(scope="module")
def shipped_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(resolve_base_model("", tmp_path_factory.mktemp("models")))


@pytest.mark.slow
def test_the_shipped_model_is_converted_once_and_answers(shipped_model: Path) -> None:
    assert shipped_model.name == SHIPPED_MODEL_NAME
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in shipped_model.iterdir()
    }
    assert resolve_base_model("", shipped_model.parent) == str(shipped_model)  # no second run

    generator = LocalGenerator(shipped_model, device="cpu", max_new_tokens=40)
    pieces: list[str] = []
    result = generator.generate(CAPITAL, on_token=pieces.append)

    assert result.text.strip()
    assert "".join(pieces) == result.text
    assert result.model_version == "smollm2-135m-instruct"
    assert 0 < result.completion_tokens <= 40
    assert result.prompt_tokens > 10


@pytest.mark.slow
def test_an_adapter_trained_on_the_shipped_model_loads(shipped_model: Path, tmp_path: Path) -> None:
    from knowledge.generation.testing import make_lora_adapter

    adapter = make_lora_adapter(shipped_model, tmp_path / "v1")
    generator = LocalGenerator(shipped_model, device="cpu", max_new_tokens=20)
    base = generator.generate(CAPITAL)

    generator.load_adapter(adapter)
    tuned = generator.generate(CAPITAL)

    assert tuned.model_version == "smollm2-135m-instruct+adapter:v1"
    assert tuned.text != base.text
    assert generator.with_adapter(None).generate(CAPITAL).text == base.text


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_bf16_generation_on_cuda(tiny_model_dir: Path, adapter_v1: Path) -> None:
    generator = LocalGenerator(tiny_model_dir, device="auto", max_new_tokens=16)
    base = generator.generate(CAPITAL)
    generator.load_adapter(adapter_v1)
    tuned = generator.generate(CAPITAL)

    assert generator.device == "cuda"
    assert next(generator.model.parameters()).dtype == torch.bfloat16
    assert base.text and base.completion_tokens > 0
    assert tuned.model_version.endswith("+adapter:v1")
    assert tuned.text != base.text
