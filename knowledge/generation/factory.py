"""Building the configured Generator from plain settings values (called by entry points only)."""

from __future__ import annotations

from pathlib import Path

from knowledge.generation.base import Generator

GENERATOR_KINDS = ("local", "openai", "extractive")


def build_generator(
    kind: str,
    *,
    base_model: str = "",
    models_dir: Path | None = None,
    adapter_dir: Path | None = None,
    device: str = "auto",
    max_new_tokens: int = 200,
    timeout_s: float | None = 60.0,
    openai_base_url: str = "http://localhost:8000/v1",
    openai_api_key: str = "not-needed",
    openai_model: str = "helpbot",
) -> Generator | None:
    """The Generator for `kind`:

    - "local": a LocalGenerator on `base_model` (a folder or hub id; "" = the shipped SmolLM2,
      converted from GGUF into `models_dir` on first use, ~20 s) with `adapter_dir` loaded at
      start-up. The model itself loads lazily (or call its `load()`).
    - "openai": an OpenAICompatGenerator talking to `openai_base_url` as `openai_model`.
    - "extractive": None. The extractive fallback belongs to the answer engine, which uses it
      whenever it gets no generator (or the generator raises GenerationError).

    Raises ValueError for any other kind.
    """
    if kind == "extractive":
        return None
    if kind == "local":
        from knowledge.generation.local import LocalGenerator
        from knowledge.generation.model_files import resolve_base_model

        if not base_model and models_dir is None:
            raise ValueError("the shipped base model needs models_dir to be converted into")
        model_path = resolve_base_model(base_model, models_dir or Path("."))
        return LocalGenerator(
            model_path,
            device=device,
            adapter_dir=adapter_dir,
            max_new_tokens=max_new_tokens,
            timeout_s=timeout_s,
        )
    if kind == "openai":
        from knowledge.generation.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(
            openai_base_url,
            openai_api_key,
            openai_model,
            timeout_s if timeout_s is not None else 60.0,
            max_new_tokens=max_new_tokens,
        )
    raise ValueError(f"unknown generator kind {kind!r}; expected one of {GENERATOR_KINDS}")
