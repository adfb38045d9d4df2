"""Training configs: the versioned YAML profiles, overrides, and refusing what cannot work."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from pipelines.training.config import (
    PROFILES,
    ConfigError,
    TrainingConfig,
    load_config,
)


def test_the_default_is_the_fast_profile() -> None:
    config = load_config()

    assert config.profile == "fast"
    assert config.packing and config.padding_free and not config.gradient_checkpointing
    assert config == load_config("fast")


def test_the_naive_profile_is_the_plain_baseline() -> None:
    naive = load_config("naive")

    assert naive.profile == "naive"
    assert not naive.packing and not naive.padding_free
    assert naive.precision == "fp32" and naive.optimizer == "adamw_torch"
    assert not naive.answer_only_head


def test_every_profile_sets_every_field_and_documents_it() -> None:
    source = Path(__file__).parents[2] / "pipelines" / "training" / "config.py"
    text = source.read_text(encoding="utf-8")
    for path in PROFILES.values():
        keys = set(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert keys == {field.name for field in dataclasses.fields(TrainingConfig)}, path
    for field in dataclasses.fields(TrainingConfig):
        # A docstring line right under the field's declaration.
        after = text.split(f"    {field.name}: ", 1)[1].splitlines()[1].strip()
        assert after.startswith('"""'), f"{field.name} has no docstring"


def test_overrides_win_and_none_means_keep(tmp_path: Path) -> None:
    config = load_config("naive", max_steps=3, learning_rate=None)

    assert config.max_steps == 3
    assert config.learning_rate == load_config("naive").learning_rate


def test_the_yaml_round_trips(tmp_path: Path) -> None:
    config = load_config(lora_r=8, lora_targets=["q_proj", "v_proj"])
    path = tmp_path / "copy.yaml"
    path.write_text(config.to_yaml(), encoding="utf-8")

    assert load_config(path) == config


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("version: 1\nlearning_rat: 0.1\n", "unknown training config field"),
        ("version: 2\n", "config version 2"),
        ("precision: fp8\n", "precision must be one of"),
        ("batch_size: 0\n", "batch_size must be at least 1"),
        ("packing: false\npadding_free: true\n", "padding_free needs packing"),
        ("- a list\n", "must hold a mapping"),
        ("a: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_configs_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_missing_config_names_the_profiles(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="profiles: fast, naive"):
        load_config(tmp_path / "nope.yaml")
