"""The training hyperparameters the console offers: defaults and help read from the versioned
config files (data, not code: the console enqueues training and never imports pipelines/)."""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

SHOWN = (
    "epochs",
    "max_steps",
    "learning_rate",
    "batch_size",
    "grad_accum",
    "max_length",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "seed",
)
PROFILES = ("fast", "naive")


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    default: Any
    help: str


def _training_dir() -> Path | None:
    spec = importlib.util.find_spec("pipelines")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "training"


def _docstrings(source: str) -> dict[str, str]:
    docs: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == "TrainingConfig":
            for current, following in pairwise(node.body):
                if (
                    isinstance(current, ast.AnnAssign)
                    and isinstance(current.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                ):
                    docs[current.target.id] = " ".join(str(following.value.value).split())
    return docs


@cache
def hyperparameters() -> tuple[Hyperparameter, ...]:
    """The offered fields with the "fast" profile's values and each field's documentation."""
    folder = _training_dir()
    if folder is None:
        return ()
    try:
        defaults = yaml.safe_load((folder / "configs" / "default.yaml").read_text("utf-8")) or {}
        docs = _docstrings((folder / "config.py").read_text("utf-8"))
    except (OSError, yaml.YAMLError, SyntaxError):
        return ()
    return tuple(Hyperparameter(n, defaults.get(n), docs.get(n, "")) for n in SHOWN)


def overrides_from(values: dict[str, Any]) -> dict[str, Any]:
    """Only the fields changed from the defaults (the worker validates them with the config)."""
    defaults = {h.name: h.default for h in hyperparameters()}
    changed = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        default = defaults.get(name)
        if isinstance(default, int) and not isinstance(default, bool):
            value = int(value)
        elif isinstance(default, float):
            value = float(value)
        if value != default:
            changed[name] = value
    return changed
