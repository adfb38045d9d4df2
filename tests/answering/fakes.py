"""Fakes for engine tests: a retriever over fixed passages and scripted generators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.generation.base import (
    ChatMessage,
    Generation,
    GeneratorUnavailableError,
    TokenCallback,
)
from knowledge.retrieval import Passage
from knowledge.stores.base import StoreUnavailableError


@dataclass
class FixedRetriever:
    """Returns the same passages for any question; records what it was asked."""

    passages: list[Passage]
    down: bool = False
    asked: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def retrieve(
        self, question: str, *, audiences: Sequence[str] = ("everyone",), k: int | None = None
    ) -> list[Passage]:
        if self.down:
            raise StoreUnavailableError("vector store unreachable")
        self.asked.append((question, tuple(audiences)))
        return list(self.passages[: k or len(self.passages)])


@dataclass
class ScriptedGenerator:
    """Answers with `reply` (streamed word by word), or raises when `fail` is set."""

    reply: str
    fail: bool = False
    model_version: str = "scripted-1"
    prompts: list[list[ChatMessage]] = field(default_factory=list)

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        self.prompts.append(list(messages))
        if self.fail:
            raise GeneratorUnavailableError("model server down")
        if on_token:
            for piece in self.reply.split(" "):
                on_token(piece + " ")
        return Generation(self.reply, self.model_version, 100, 10, 0.01, 0.02)
