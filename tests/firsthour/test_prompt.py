"""The `? ` question prompt of `helpbot up`: quit, exit and Ctrl-D end it; questions are asked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpbot.commands import answers as answers_cli
from knowledge.answering.answer_types import Answer, Asker, Turn


class RecordingService:
    """An AnswerService that records every question it is asked."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def answer(
        self, question: str, asker: Asker, history: tuple[Turn, ...] = (), **_: Any
    ) -> Answer:
        self.questions.append(question)
        return Answer(
            text="Sixteen weeks.",
            citations=(),
            confidence=0.9,
            abstained=False,
            model_version="test",
        )


def _typed(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> None:
    """The prompt reads `lines`, then Ctrl-D (EOFError) as a terminal would."""
    feed: Iterator[str] = iter(lines)

    def read(_prompt: str = "") -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(answers_cli.console, "input", read)


@pytest.mark.parametrize("ending", ["quit", "exit", "QUIT", "  exit  ", "quit.", ""])
def test_quit_words_end_the_prompt_without_being_asked(
    monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    service = RecordingService()
    _typed(monkeypatch, ["how long is parental leave?", ending, "never asked"])
    answers_cli.interactive(service)
    assert service.questions == ["how long is parental leave?"]


def test_ctrl_d_ends_the_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    service = RecordingService()
    _typed(monkeypatch, ["how long is parental leave?", "and for adoption?"])
    answers_cli.interactive(service)  # returns at EOF instead of raising
    assert service.questions == ["how long is parental leave?", "and for adoption?"]


def test_a_question_containing_quit_is_still_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    service = RecordingService()
    _typed(monkeypatch, ["what happens to my leave if I quit?"])
    answers_cli.interactive(service)
    assert service.questions == ["what happens to my leave if I quit?"]
