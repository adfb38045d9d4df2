"""Registry fixtures: the generation tests' tiny model, adapters and fake OpenAI server."""

from __future__ import annotations

from tests.generation.conftest import (  # noqa: F401 - fixtures shared with the generation tests
    adapter_v1,
    adapter_v2,
    foreign_adapter,
    openai_server,
    tiny_model_dir,
    tokenizer_dir,
)
