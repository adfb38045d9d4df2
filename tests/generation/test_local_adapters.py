"""LoRA adapters on LocalGenerator: load, hot-swap, base comparison, and refusing broken ones
while the active adapter keeps answering exactly as before."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from knowledge.generation import AdapterError
from knowledge.generation.base import ChatMessage
from knowledge.generation.local import LocalGenerator


def _copy(adapter: Path, to: Path) -> Path:
    return Path(shutil.copytree(adapter, to))


def test_adapter_changes_the_answer_and_the_version(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path
) -> None:
    base = generator.generate(question).text

    assert generator.load_adapter(adapter_v1) == "v1"
    tuned = generator.generate(question)

    assert tuned.text != base
    assert tuned.model_version == generator.model_version == "tiny-llama+adapter:v1"
    assert generator.active_adapter == "v1"


def test_base_model_again_without_reloading(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path
) -> None:
    base = generator.generate(question).text
    generator.load_adapter(adapter_v1)
    model = generator.model

    generator.set_adapter(None)
    again = generator.generate(question)

    assert again.text == base
    assert again.model_version == "tiny-llama"
    assert generator.model is model  # swapped in place, not reloaded


def test_swapping_between_two_adapters(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path, adapter_v2: Path
) -> None:
    generator.load_adapter(adapter_v1)
    first = generator.generate(question).text
    generator.load_adapter(adapter_v2)
    second = generator.generate(question)

    generator.set_adapter("v1")
    back = generator.generate(question)

    assert second.text != first
    assert second.model_version == "tiny-llama+adapter:v2"
    assert back.text == first
    assert back.model_version == "tiny-llama+adapter:v1"
    assert generator.adapters == ("v1", "v2")


def test_an_adapter_can_be_loaded_without_activating_it(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path, adapter_v2: Path
) -> None:
    generator.load_adapter(adapter_v1)
    v1 = generator.generate(question).text

    assert generator.load_adapter(adapter_v2, activate=False) == "v2"

    assert generator.active_adapter == "v1"
    assert generator.generate(question).text == v1
    assert generator.with_adapter("v2").generate(question).text != v1


def test_pinned_views_compare_base_and_adapter_without_changing_the_active_one(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path, adapter_v2: Path
) -> None:
    base = generator.generate(question).text
    generator.load_adapter(adapter_v2)
    v2 = generator.generate(question).text
    generator.load_adapter(adapter_v1)  # v1 is now the active adapter

    assert generator.with_adapter(None).generate(question).text == base
    assert generator.with_adapter(None).model_version == "tiny-llama"
    pinned_v2 = generator.with_adapter("v2").generate(question)
    assert (pinned_v2.text, pinned_v2.model_version) == (v2, "tiny-llama+adapter:v2")
    assert generator.model_version == "tiny-llama+adapter:v1"


def _missing(adapter: Path, tmp: Path) -> Path:
    return tmp / "never-trained"


def _no_config(adapter: Path, tmp: Path) -> Path:
    broken = _copy(adapter, tmp / "no-config")
    (broken / "adapter_config.json").unlink()
    return broken


def _bad_config(adapter: Path, tmp: Path) -> Path:
    broken = _copy(adapter, tmp / "bad-config")
    (broken / "adapter_config.json").write_text("{not json", encoding="utf-8")
    return broken


def _corrupt_weights(adapter: Path, tmp: Path) -> Path:
    broken = _copy(adapter, tmp / "corrupt")
    weights = broken / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # cut mid-copy
    return broken


def _no_weights(adapter: Path, tmp: Path) -> Path:
    broken = _copy(adapter, tmp / "no-weights")
    (broken / "adapter_model.safetensors").unlink()
    return broken


def _stray_weights(adapter: Path, tmp: Path) -> Path:
    """Passes the shape check (unknown key kind) but has nowhere to go inside the model."""
    broken = _copy(adapter, tmp / "stray")
    weights = load_file(broken / "adapter_model.safetensors")
    some = next(iter(weights.values()))
    weights["base_model.model.model.mystery_head.weight"] = some.clone()
    save_file(weights, broken / "adapter_model.safetensors")
    return broken


BROKEN: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "missing folder": (_missing, "not found"),
    "no adapter_config.json": (_no_config, "no adapter_config.json"),
    "unreadable config": (_bad_config, "unreadable adapter_config.json"),
    "corrupt safetensors": (_corrupt_weights, "corrupt or missing adapter weights"),
    "no weights file": (_no_weights, "corrupt or missing adapter weights"),
    "stray weights": (_stray_weights, "no place for"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_adapter_is_refused_and_the_active_one_keeps_answering(
    case: str,
    generator: LocalGenerator,
    question: list[ChatMessage],
    adapter_v1: Path,
    tmp_path: Path,
) -> None:
    make_broken, message = BROKEN[case]
    generator.load_adapter(adapter_v1)
    before = generator.generate(question)

    with pytest.raises(AdapterError, match=message):
        generator.load_adapter(make_broken(adapter_v1, tmp_path), name="v9")

    after = generator.generate(question)
    assert generator.active_adapter == "v1"
    assert generator.adapters == ("v1",)
    assert (after.text, after.model_version) == (before.text, before.model_version)


def test_adapter_for_another_base_model_is_refused(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path, foreign_adapter: Path
) -> None:
    generator.load_adapter(adapter_v1)
    before = generator.generate(question).text

    with pytest.raises(AdapterError, match="does not fit this base model"):
        generator.load_adapter(foreign_adapter)

    assert generator.model_version == "tiny-llama+adapter:v1"
    assert generator.generate(question).text == before


@pytest.mark.parametrize("case", ["stray weights", "corrupt safetensors"])
def test_broken_first_adapter_leaves_the_plain_base_model(
    case: str,
    generator: LocalGenerator,
    question: list[ChatMessage],
    adapter_v1: Path,
    tmp_path: Path,
) -> None:
    base = generator.generate(question).text

    with pytest.raises(AdapterError):
        generator.load_adapter(BROKEN[case][0](adapter_v1, tmp_path))

    assert generator.adapters == ()
    assert generator._adapters is not None and not generator._adapters.injected  # layers removed
    assert generator.generate(question).text == base
    generator.load_adapter(adapter_v1)  # and a good adapter still loads afterwards
    assert generator.generate(question).text != base


def test_unknown_adapter_name_is_refused(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path
) -> None:
    generator.load_adapter(adapter_v1)

    with pytest.raises(AdapterError, match="no adapter named 'v7'"):
        generator.set_adapter("v7")
    with pytest.raises(AdapterError, match="no adapter named 'v7'"):
        generator.with_adapter("v7").generate(question)

    assert generator.active_adapter == "v1"


def test_same_name_reloads_are_idempotent_but_a_clash_is_refused(
    generator: LocalGenerator, adapter_v1: Path, adapter_v2: Path
) -> None:
    generator.load_adapter(adapter_v1)
    generator.load_adapter(adapter_v1)  # same folder again: nothing to do

    with pytest.raises(AdapterError, match="already loaded"):
        generator.load_adapter(adapter_v2, name="v1")

    assert generator.adapters == ("v1",)


def test_removing_adapters(
    generator: LocalGenerator, question: list[ChatMessage], adapter_v1: Path, adapter_v2: Path
) -> None:
    base = generator.generate(question).text
    generator.load_adapter(adapter_v1)
    generator.load_adapter(adapter_v2)

    with pytest.raises(AdapterError, match="is active"):
        generator.remove_adapter("v2")
    generator.remove_adapter("v1")
    generator.set_adapter(None)
    generator.remove_adapter("v2")

    assert generator.adapters == ()
    assert generator.generate(question).text == base


def test_start_up_adapter(
    tiny_model_dir: Path, question: list[ChatMessage], adapter_v1: Path
) -> None:
    expected = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=12)
    expected.load_adapter(adapter_v1)

    generator = LocalGenerator(
        tiny_model_dir, device="cpu", max_new_tokens=12, adapter_dir=adapter_v1
    )
    result = generator.generate(question)

    assert result.model_version == "tiny-llama+adapter:v1"
    assert result.text == expected.generate(question).text


def test_broken_start_up_adapter(
    tiny_model_dir: Path, question: list[ChatMessage], adapter_v1: Path, tmp_path: Path
) -> None:
    broken = _corrupt_weights(adapter_v1, tmp_path)

    with pytest.raises(AdapterError, match="corrupt"):
        LocalGenerator(tiny_model_dir, device="cpu", adapter_dir=broken).load()

    lazy = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=12, adapter_dir=broken)
    result = lazy.generate(question)  # logged, and the base model answers, labelled as such
    assert result.model_version == "tiny-llama"
    assert result.text


def test_adapter_config_names_its_base_model_in_errors(
    generator: LocalGenerator, foreign_adapter: Path
) -> None:
    base_name = json.loads((foreign_adapter / "adapter_config.json").read_text())[
        "base_model_name_or_path"
    ]
    with pytest.raises(AdapterError) as caught:
        generator.load_adapter(foreign_adapter)
    assert base_name in str(caught.value)
