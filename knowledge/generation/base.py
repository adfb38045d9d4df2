"""The language-model seam: the `Generator` protocol, its `Generation` result and its errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias, runtime_checkable

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

ChatMessage: TypeAlias = SystemMessage | HumanMessage | AIMessage
"""One turn of a conversation, as langchain-core (and the prompt builder) represent it."""

TokenCallback: TypeAlias = Callable[[str], None]
"""Called with each new piece of text while an answer streams in."""


class GenerationError(RuntimeError):
    """Base of every error a generator raises; catch this to fall back to the extractive answer."""


class GeneratorUnavailableError(GenerationError):
    """The model cannot answer now: server down or erroring, model failed to load, timeout."""


class GenerationTimeoutError(GeneratorUnavailableError):
    """An answer ran past the generator's time limit (every backend says it the same way)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"generation took more than {timeout_s} s")
        self.timeout_s = timeout_s


class AdapterError(GenerationError):
    """A LoRA adapter is missing, corrupt, unknown or built for another base model."""


@dataclass(frozen=True)
class Generation:
    """One generated answer and how it was produced."""

    text: str
    """The generated text (special tokens removed). With streaming, the pieces joined."""
    model_version: str
    """What produced it, e.g. "smollm2-135m-instruct+adapter:v3"."""
    prompt_tokens: int
    """Tokens of the prompt the model actually saw (after any truncation); 0 if unknown."""
    completion_tokens: int
    """Tokens generated (an end-of-turn token included); 0 if unknown."""
    first_token_s: float
    """Seconds from the call to the first generated token (any queueing included)."""
    total_s: float
    """Seconds from the call to the complete answer."""


@runtime_checkable
class Generator(Protocol):
    """Anything that turns chat messages into an answer: a local model or a model server."""

    @property
    def model_version(self) -> str:
        """The model (and adapter) the next `generate` call will use."""
        ...

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        """Answer the conversation. `on_token` receives text pieces as they are produced.

        Raises GeneratorUnavailableError when no answer can be produced now, AdapterError
        when the selected adapter cannot be used.
        """
        ...
