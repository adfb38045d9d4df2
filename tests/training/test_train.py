"""train_adapter on a tiny random model: the loss falls, the adapter loads where answers are
made, per-step metrics arrive, and cancel, NaN and bad data end the run with the reason and no
adapter folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from knowledge.generation.adapters import check_fits, read_adapter
from knowledge.generation.base import ChatMessage
from knowledge.generation.local import LocalGenerator
from pipelines.training import (
    TrainingCancelled,
    TrainingError,
    TrainResult,
    load_config,
    train_adapter,
)
from pipelines.training.testing import write_synthetic_dataset

# Tiny model, short run: 8 examples of ~500 tokens, packed two per 1,024-token row.
FAST: dict[str, Any] = {
    "batch_size": 1,
    "grad_accum": 1,
    "epochs": 2,
    "learning_rate": 3e-3,
    "warmup_ratio": 0.0,
}


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, dataset_dir: Path
) -> tuple[TrainResult, list[dict[str, Any]]]:
    steps: list[dict[str, Any]] = []
    config = load_config(early_stopping_patience=0, **FAST)
    output = tmp_path_factory.mktemp("adapters") / "v1"
    result = train_adapter(
        config, dataset_dir, output, base_model=str(tiny_model_dir), on_step=steps.append
    )
    return result, steps


def test_the_loss_falls_and_each_step_reports_its_metrics(
    trained: tuple[TrainResult, list[dict[str, Any]]],
) -> None:
    result, steps = trained
    train_steps = [s for s in steps if "loss" in s]
    evals = [s for s in steps if "eval_loss" in s]

    assert [s["step"] for s in train_steps] == list(range(1, result.metrics["steps"] + 1))
    assert result.metrics["steps"] == 8  # 4 packed rows x 2 epochs
    assert train_steps[-1]["loss"] < train_steps[0]["loss"] - 0.5
    assert len(evals) == 2  # one validation loss per epoch
    assert evals[-1]["eval_loss"] < evals[0]["eval_loss"]
    for step in train_steps:
        assert step["tokens"] > 500 and step["tokens_per_s"] > 0
        assert step["step_time_s"] > 0 and step["peak_mem_mb"] > 0
        assert step["lr"] is not None


def test_the_summary_metrics(trained: tuple[TrainResult, list[dict[str, Any]]]) -> None:
    metrics = trained[0].metrics

    assert metrics["examples"] == 8 and metrics["validation_examples"] == 2
    assert metrics["skipped_too_long"] == 0
    assert 8 * 400 * 2 < metrics["tokens"] < 8 * 700 * 2
    assert metrics["eval_loss"] > 0 and metrics["train_loss"] > 0
    assert metrics["tokens_per_s"] > 0 and metrics["seconds"] > 0
    assert metrics["device"] == "cpu"
    assert metrics["mfu"] is None  # no peak figure for this CPU unless configured


def test_the_adapter_loads_in_the_answering_backend(
    trained: tuple[TrainResult, list[dict[str, Any]]], tiny_model_dir: Path
) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    adapter = trained[0].adapter_dir
    assert {"adapter_config.json", "adapter_model.safetensors"} <= {
        p.name for p in adapter.iterdir()
    }
    assert not [p for p in adapter.parent.iterdir() if p.name.startswith(".")]  # no temp left
    files = read_adapter(adapter)
    modules = {key.split(".lora_")[0].rsplit(".", 1)[-1] for key in files.weights}
    assert modules == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

    generator = LocalGenerator(tiny_model_dir, device="cpu", max_new_tokens=8)
    check_fits(files, generator.model or _loaded(generator))
    question: list[ChatMessage] = [SystemMessage("Answer."), HumanMessage("How much leave?")]
    base = generator.generate(question)
    generator.load_adapter(adapter)
    tuned = generator.generate(question)

    assert tuned.model_version == "tiny-llama+adapter:v1"
    assert tuned.text != base.text


def _loaded(generator: LocalGenerator) -> Any:
    generator.load()
    return generator.model


def test_the_config_and_metrics_are_saved_beside_the_adapter(
    trained: tuple[TrainResult, list[dict[str, Any]]],
) -> None:
    result = trained[0]
    saved = yaml.safe_load((result.adapter_dir / "training_config.yaml").read_text("utf-8"))

    assert saved["learning_rate"] == FAST["learning_rate"] and saved["profile"] == "fast"
    assert load_config(result.adapter_dir / "training_config.yaml").batch_size == 1
    metrics = json.loads((result.adapter_dir / "training_metrics.json").read_text("utf-8"))
    assert metrics == result.metrics


def test_same_seed_same_adapter(
    trained: tuple[TrainResult, list[dict[str, Any]]],
    tiny_model_dir: Path,
    dataset_dir: Path,
    tmp_path: Path,
) -> None:
    config = load_config(early_stopping_patience=0, max_steps=2, **FAST)
    first = train_adapter(config, dataset_dir, tmp_path / "a", base_model=str(tiny_model_dir))
    second = train_adapter(config, dataset_dir, tmp_path / "b", base_model=str(tiny_model_dir))

    a, b = read_adapter(first.adapter_dir).weights, read_adapter(second.adapter_dir).weights
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)


def test_cancel_stops_at_the_next_step_and_saves_nothing(
    tiny_model_dir: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    steps: list[dict[str, Any]] = []

    with pytest.raises(TrainingCancelled, match="cancelled"):
        train_adapter(
            load_config(**FAST),
            dataset_dir,
            tmp_path / "v1",
            base_model=str(tiny_model_dir),
            on_step=steps.append,
            should_stop=lambda: len(steps) >= 1,
        )

    assert len([s for s in steps if "loss" in s]) <= 2
    assert list(tmp_path.iterdir()) == []


def test_a_nan_loss_fails_the_run_with_the_reason(
    tokenizer_dir: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    from knowledge.generation.testing import build_tiny_model

    folder = build_tiny_model(tmp_path / "broken", tokenizer_dir)
    model = AutoModelForCausalLM.from_pretrained(folder)
    with torch.no_grad():
        model.model.norm.weight.fill_(float("nan"))
    model.save_pretrained(folder)
    out = tmp_path / "adapters"
    out.mkdir()

    with pytest.raises(TrainingError, match="NaN or infinite at step 1"):
        train_adapter(
            load_config(max_steps=3, **FAST), dataset_dir, out / "v1", base_model=str(folder)
        )
    assert list(out.iterdir()) == []


def test_bad_input_is_refused_before_any_training(
    tiny_model_dir: Path, dataset_dir: Path, tmp_path: Path
) -> None:
    empty = write_synthetic_dataset(tmp_path / "empty", train=0, validation=0)
    with pytest.raises(TrainingError, match="empty: nothing to train on"):
        train_adapter(load_config(), empty, tmp_path / "a", base_model=str(tiny_model_dir))

    with pytest.raises(TrainingError, match="longer than max_length=64"):
        train_adapter(
            load_config(max_length=64), dataset_dir, tmp_path / "b", base_model=str(tiny_model_dir)
        )

    with pytest.raises(TrainingError, match="cannot load the tokenizer"):
        train_adapter(load_config(), dataset_dir, tmp_path / "c", base_model=str(tmp_path / "x"))

    (tmp_path / "taken").mkdir()
    with pytest.raises(TrainingError, match="never overwritten"):
        train_adapter(load_config(), dataset_dir, tmp_path / "taken", base_model="unused")
