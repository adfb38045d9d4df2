"""Follow-up questions -> standalone questions, so retrieval sees what the thread is about.

Two ways, compared on knowledge/sample/followup_qa.jsonl by benchmarks/bench_answers.py:
`rewrite_rules` (deterministic: a question that leans on the thread gets the earlier
question's topic words attached) and `rewrite_with_model` (the language model rewrites it,
falling back to the rules when its output is unusable).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from knowledge.answering.answer_types import Turn
from knowledge.answering.extractive import STOPWORDS
from knowledge.answering.prompts import rewrite_messages
from knowledge.generation.base import GenerationError, Generator

logger = logging.getLogger(__name__)

# Words that point back into the conversation ("what about ...", "how long is it?").
_CONNECTOR = re.compile(
    r"^\W*(and|but|or|so|also|then|what about|how about|what if|same|ok|okay)\b", re.I
)
_ANAPHORA = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|there|one|ones|same|such|else|"
    r"instead|too|either)\b",
    re.I,
)
SHORT_QUESTION_WORDS = 3
"""A question with at most this many content words probably needs the thread's context."""
CONTEXT_TERMS = 8
"""At most this many topic words are carried over from the earlier question."""


# Beyond the extractive stop words: words that name no topic when carried into a follow-up.
_NOT_TOPIC = frozenset({"must", "may", "should", "context"})


def content_words(text: str) -> list[str]:
    """The question's words that carry its topic, in order, without repeats."""
    seen: list[str] = []
    for word in re.findall(r"[A-Za-z0-9€$£][\w'€$£.,-]*[\w€$£]|\w", text):
        lowered = word.lower()
        if lowered in STOPWORDS or lowered in _NOT_TOPIC:
            continue
        if len(lowered) > 1 and lowered not in seen:
            seen.append(lowered)
    return seen


def is_follow_up(question: str) -> bool:
    """Whether the question leans on earlier turns: a connector, a pronoun, or very short."""
    return bool(
        _CONNECTOR.search(question)
        or _ANAPHORA.search(question)
        or len(content_words(question)) <= SHORT_QUESTION_WORDS
    )


def _user_questions(history: Sequence[Turn]) -> list[str]:
    return [turn.text for turn in history if turn.role == "user" and turn.text.strip()]


def rewrite_rules(question: str, history: Sequence[Turn]) -> str:
    """The question, with the topic words of the thread's earlier question appended when it
    is a follow-up. Earlier follow-ups are resolved first, so a chain keeps its topic."""
    topic = ""
    for earlier in _user_questions(history):
        topic = _attach(earlier, topic)
    return _attach(question, topic)


def _attach(question: str, topic: str) -> str:
    question = question.strip()
    if not topic or not is_follow_up(question):
        return question
    own = set(content_words(question))
    carried = [w for w in content_words(topic) if w not in own][:CONTEXT_TERMS]
    if not carried:
        return question
    return f"{question} (context: {' '.join(carried)})"


def rewrite_with_model(
    question: str, history: Sequence[Turn], generator: Generator, *, max_new_tokens: int = 48
) -> str:
    """The model's standalone rewrite, or the rules' when the model fails or rambles."""
    fallback = rewrite_rules(question, history)
    if not _user_questions(history):
        return question.strip()
    conversation = [(turn.role, turn.text) for turn in history]
    try:
        generation = generator.generate(
            rewrite_messages(question, conversation), max_new_tokens=max_new_tokens
        )
    except GenerationError as error:
        logger.warning("model rewrite failed (%s); using the rules", type(error).__name__)
        return fallback
    candidate = generation.text.strip().splitlines()[0].strip(" \"'") if generation.text else ""
    # An empty, huge or question-less rewrite is worse than the deterministic one.
    if not candidate or len(candidate) > 3 * len(fallback) + 40 or "?" not in candidate:
        return fallback
    return candidate
