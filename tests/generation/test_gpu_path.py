"""The GPU generation path (static KV cache, compiled decode on CUDA, warm-up at load): on CPU
it is off by default; forced on, it answers exactly as the dynamic cache does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from knowledge.generation.base import ChatMessage
from knowledge.generation.local import LocalGenerator


def test_the_cpu_path_keeps_the_dynamic_cache(tiny_model_dir: Path) -> None:
    assert LocalGenerator(tiny_model_dir, device="cpu").static_cache is False


def test_a_static_cache_gives_the_same_greedy_answer_and_stream(
    tiny_model_dir: Path, question: list[ChatMessage]
) -> None:
    dynamic = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=12)
    static = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=12, static_cache=True)
    pieces: list[str] = []

    expected = dynamic.generate(question)
    static.load()  # warms up: the first real answer pays no set-up
    got = static.generate(question, on_token=pieces.append)
    again = static.generate(question)

    assert static.static_cache is True  # the warm-up worked, nothing fell back
    assert got.text == expected.text == again.text
    assert "".join(pieces) == got.text
    assert got.completion_tokens == expected.completion_tokens


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_uses_the_static_compiled_path(
    tiny_model_dir: Path, question: list[ChatMessage]
) -> None:
    generator = LocalGenerator(tiny_model_dir, device="cuda", max_new_tokens=16)
    generator.load()
    first = generator.generate(question)
    second = generator.generate(question)

    assert generator.static_cache is True
    assert next(generator.model.parameters()).dtype == torch.bfloat16
    assert first.text == second.text and first.completion_tokens > 0
