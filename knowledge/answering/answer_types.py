"""Plain data of the answer engine: who asks, the thread so far, and the cited answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from knowledge.retrieval import Passage
from knowledge.stores.base import EVERYONE


@dataclass(frozen=True)
class Asker:
    """The person asking, as the engine needs them: an opaque id and what they may see."""

    user_id: str
    audiences: tuple[str, ...] = (EVERYONE,)


@dataclass(frozen=True)
class Turn:
    """One earlier message of the thread (oldest first in a history)."""

    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: enough to show title, section, link and review date."""

    number: int
    source: str
    """File name of the document (e.g. 'parental-leave.md')."""
    title: str
    section: str
    source_uri: str
    document_id: str
    version: int
    review_by: date | None
    stale: bool
    """The document is past its review-by date: answers citing it say so."""
    quote: str
    """The passage text the answer relied on."""


@dataclass(frozen=True)
class Answer:
    """What the engine returns for one question; free of any Slack type."""

    text: str
    citations: tuple[Citation, ...]
    confidence: float
    """0..1; below the calibrated threshold the engine abstains."""
    abstained: bool
    model_version: str
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: rewrite, retrieve, context, generate, ground, total (first_token when
    streamed)."""
    passages: tuple[Passage, ...] = ()
    """Everything retrieved (the snapshot stored with the conversation)."""
    context: tuple[Passage, ...] = ()
    """What the answerer read: the passages' relevant sentences within the context budget
    (whole passages when compression is off); empty when it abstained before reading."""
    standalone_question: str = ""
    """The question rewritten with the thread's context (equal to the question without one)."""
    grounding_failed: bool = False
    """The model's answer stated facts not in the passages and was replaced by quotes."""
    note: str | None = None
    """An operational note for the asker (e.g. 'the model is unavailable; quoting sources')."""


OnToken = Callable[[str], None]


class AnswerService(Protocol):
    """What the bot, the console and the evaluation call; the engine implements it."""

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: OnToken | None = None,
    ) -> Answer:
        """Answer from the documents the asker may see. Never raises for a bad question;
        raises StoreUnavailableError only when the knowledge base cannot be reached."""
