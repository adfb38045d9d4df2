"""Choosing and building answer backends: extractive, the base model, base + adapter, a server.

A backend spec is "extractive", "local" (the configured model and adapter), "base" (the local
base model, no adapter), "adapter:PATH" (the local base model with that LoRA adapter) or
"openai". Several local specs share one loaded base model through pinned adapter views, so
`helpbot eval --backend base --backend adapter:X` loads the model once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.answering.answer_engine import EngineOptions
from knowledge.generation.base import (
    ChatMessage,
    Generation,
    GeneratorUnavailableError,
    TokenCallback,
)
from knowledge.generation.base import Generator as GeneratorProtocol
from knowledge.settings import Settings

logger = logging.getLogger(__name__)

BACKEND_KINDS = ("extractive", "local", "base", "adapter", "openai")
ANSWER_TOKEN_CAP = 128


@dataclass(frozen=True)
class BackendSpec:
    """A parsed backend: its kind and, for "adapter", the adapter folder."""

    kind: str
    adapter: Path | None = None

    @property
    def name(self) -> str:
        return f"adapter:{self.adapter}" if self.kind == "adapter" else self.kind


def parse_backend(spec: str) -> BackendSpec:
    """'extractive' | 'local' | 'base' | 'openai' | 'adapter:PATH' -> BackendSpec."""
    kind, _, rest = spec.strip().partition(":")
    kind = kind.lower()
    if kind == "adapter":
        if not rest:
            raise ValueError("adapter backends name a folder: adapter:PATH")
        return BackendSpec("adapter", Path(rest).expanduser())
    if kind not in BACKEND_KINDS or rest:
        raise ValueError(
            f"unknown backend {spec!r}; expected one of extractive, local, base, "
            "openai or adapter:PATH"
        )
    return BackendSpec(kind)


def engine_options(settings: Settings, **overrides: Any) -> EngineOptions:
    """The engine's options from Settings (keyword arguments override single fields)."""
    values: dict[str, Any] = {
        "abstain_below": settings.abstain_below,
        "term_check_below": settings.abstain_term_check_below,
        "min_term_coverage": settings.abstain_min_term_coverage,
        "help_contact": settings.help_contact,
        "search_k": settings.search_k,
        "context_chars": settings.context_chars,
        "model_may_abstain": settings.model_may_abstain,
        # An answer is one to three sentences (at most max_answer_words, ~90 words); tokens
        # beyond ~128 would be trimmed anyway and cost seconds each on a CPU.
        "max_new_tokens": min(settings.max_new_tokens, ANSWER_TOKEN_CAP),
    }
    values.update(overrides)
    return EngineOptions(**values)


class UnavailableGenerator:
    """Stands in for a model that could not be built: every answer falls back to quoting."""

    def __init__(self, reason: str, model_version: str = "unavailable") -> None:
        self.reason = reason
        self._model_version = model_version

    @property
    def model_version(self) -> str:
        return self._model_version

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        raise GeneratorUnavailableError(self.reason)


def build_generators(
    settings: Settings, specs: Sequence[BackendSpec]
) -> dict[str, GeneratorProtocol | None]:
    """One Generator (None for extractive) per spec, keyed by the spec's name.

    Raises AdapterError when an explicitly named adapter folder is missing or broken (nothing
    else is changed). A model that cannot be built becomes an UnavailableGenerator: answers
    then quote passages with a note instead of failing.
    """
    from knowledge.generation.adapters import read_adapter
    from knowledge.generation.factory import build_generator

    for spec in specs:
        if spec.adapter is not None:
            read_adapter(spec.adapter)  # a clear AdapterError before any model is loaded
    out: dict[str, GeneratorProtocol | None] = {}
    local: Any = None
    # The configured start-up adapter is loaded only when some spec asks for "local".
    startup = settings.adapter_dir if any(s.kind == "local" for s in specs) else None
    for spec in specs:
        if spec.kind == "extractive":
            out[spec.name] = None
            continue
        if spec.kind == "openai":
            out[spec.name] = _built("openai", settings, None, build_generator)
            continue
        if local is None:
            local = _built("local", settings, startup, build_generator)
        out[spec.name] = _local_view(local, spec)
    return out


def _built(kind: str, settings: Settings, adapter: Path | None, build: Any) -> Any:
    try:
        return build(
            kind,
            base_model=settings.base_model,
            models_dir=settings.models_dir,
            adapter_dir=adapter,
            device=settings.generation_device,
            max_new_tokens=settings.max_new_tokens,
            timeout_s=settings.generation_timeout_s,
            openai_base_url=settings.openai_base_url,
            openai_api_key=settings.openai_api_key.get_secret_value(),
            openai_model=settings.openai_model,
        )
    except GeneratorUnavailableError as error:
        logger.error("the %s model is unavailable; answers will quote passages: %s", kind, error)
        return UnavailableGenerator(str(error))


def _local_view(local: Any, spec: BackendSpec) -> Any:
    """The local generator as the spec wants it: as configured, pinned to base, or an adapter."""
    if isinstance(local, UnavailableGenerator) or spec.kind == "local":
        return local
    if spec.kind == "base":
        return local.with_adapter(None)
    assert spec.adapter is not None
    return local.with_adapter(local.load_adapter(spec.adapter))
