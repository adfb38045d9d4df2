"""A deterministic AnswerService for bot tests: keyword answers with citations, faults on demand."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from knowledge.answering.answer_types import Answer, Asker, Citation, OnToken, Turn
from knowledge.retrieval import Passage


@dataclass(frozen=True)
class FakeDoc:
    document_id: str
    keyword: str
    title: str
    section: str
    source_uri: str
    text: str
    audiences: tuple[str, ...] = ("everyone",)
    review_by: date | None = date(2030, 1, 1)
    stale: bool = False


DOCS = (
    FakeDoc(
        "annual-leave",
        "leave",
        "Annual leave",
        "Annual leave > Entitlement",
        "https://intranet.example.com/policies/annual-leave",
        "Everyone gets 25 days of paid annual leave per year.",
    ),
    FakeDoc(
        "expenses",
        "expense",
        "Expenses",
        "Expenses > Claims",
        "file:///policies/expenses.md",
        "Submit expense claims within 30 days with receipts.",
        stale=True,
        review_by=date(2020, 1, 1),
    ),
    FakeDoc(
        "manager-pay",
        "salary",
        "Manager guide: compensation",
        "Compensation > Bands",
        "https://intranet.example.com/policies/manager-pay",
        "Salary bands are reviewed every April.",
        audiences=("managers",),
    ),
)


@dataclass
class Call:
    question: str
    asker: Asker
    history: tuple[Turn, ...]


@dataclass
class FakeAnswerService:
    """Implements knowledge.answering.answer_types.AnswerService."""

    calls: list[Call] = field(default_factory=list)
    error: Exception | None = None
    """Raised by every answer while set."""
    gate: threading.Event | None = None
    """When set, answers wait for it (a slow model)."""
    tokens: list[str] = field(default_factory=list)
    """Streamed through on_token before the answer returns."""
    between_tokens: Callable[[], None] | None = None
    started: threading.Event = field(default_factory=threading.Event)

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: OnToken | None = None,
    ) -> Answer:
        self.calls.append(Call(question, asker, tuple(history)))
        self.started.set()
        if self.gate is not None:
            self.gate.wait(30)
        if self.error is not None:
            raise self.error
        for token in self.tokens:
            if self.between_tokens is not None:
                self.between_tokens()
            if on_token is not None:
                on_token(token)
        found = [
            d
            for d in DOCS
            if d.keyword in question.lower() and set(d.audiences) & set(asker.audiences)
        ]
        if not found:
            return Answer(
                text="I couldn't find this in our policies.",
                citations=(),
                confidence=0.1,
                abstained=True,
                model_version="fake-1",
                timings={"total": 0.001},
                standalone_question=question,
            )
        doc = found[0]
        citation = Citation(
            number=1,
            source=doc.source_uri.rsplit("/", 1)[-1],
            title=doc.title,
            section=doc.section,
            source_uri=doc.source_uri,
            document_id=doc.document_id,
            version=1,
            review_by=doc.review_by,
            stale=doc.stale,
            quote=doc.text,
        )
        passage = Passage(
            text=doc.text,
            title=doc.title,
            section=doc.section,
            source_uri=doc.source_uri,
            document_id=doc.document_id,
            version=1,
            chunk_index=0,
            score=0.9,
            bm25_score=3.2,
            vector_score=0.8,
            review_by=doc.review_by,
            stale=doc.stale,
        )
        return Answer(
            text=f"**{doc.text}** [1]",
            citations=(citation,),
            confidence=0.9,
            abstained=False,
            model_version="fake-1",
            timings={"retrieve": 0.001, "generate": 0.001, "total": 0.002},
            passages=(passage,),
            standalone_question=question,
        )
