"""The language-model seam: the Generator protocol and its local and OpenAI-compatible backends.

Importing this package is cheap: the backends (torch, transformers, peft, openai) load only
when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from knowledge.generation.base import (
    AdapterError,
    ChatMessage,
    Generation,
    GenerationError,
    Generator,
    GeneratorUnavailableError,
    TokenCallback,
)
from knowledge.generation.factory import GENERATOR_KINDS, build_generator
from knowledge.generation.model_files import SHIPPED_MODEL_NAME, resolve_base_model

if TYPE_CHECKING:
    from knowledge.generation.local import LocalGenerator, PinnedAdapterGenerator
    from knowledge.generation.openai_compat import OpenAICompatGenerator

_LAZY = {
    "LocalGenerator": "knowledge.generation.local",
    "PinnedAdapterGenerator": "knowledge.generation.local",
    "OpenAICompatGenerator": "knowledge.generation.openai_compat",
}

__all__ = [
    "GENERATOR_KINDS",
    "SHIPPED_MODEL_NAME",
    "AdapterError",
    "ChatMessage",
    "Generation",
    "GenerationError",
    "Generator",
    "GeneratorUnavailableError",
    "LocalGenerator",
    "OpenAICompatGenerator",
    "PinnedAdapterGenerator",
    "TokenCallback",
    "build_generator",
    "resolve_base_model",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
