"""Grouping short questions by topic (shared content words): pure, for the knowledge-gap view."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_STOP_TEXT = """a an and are as at be by can could do does did for from get got had has have how
i if in is it its me my of on or our should so that the their them there they this to us was
we what when where which who why will with would you your am any about into than then i'm much
many more most need want please tell know there's it's don't can't ok hi hello"""
STOPWORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def content_words(text: str) -> frozenset[str]:
    """Lower-case words of a question without stop words, crudely stemmed (plural 's')."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or len(word) < 3:
            continue
        words.add(word[:-1] if word.endswith("s") and len(word) > 4 else word)
    return frozenset(words)


@dataclass(frozen=True)
class Topic:
    """Questions that share their content words: a label, how often, and examples."""

    label: str
    count: int
    examples: tuple[str, ...]


def group_questions(
    questions: Iterable[str], *, threshold: float = 0.34, examples: int = 3
) -> list[Topic]:
    """Greedy grouping: each question joins the first group whose words overlap enough
    (Jaccard >= threshold), else starts one. Groups come back most frequent first, labelled
    by their most common words."""
    groups: list[tuple[set[str], Counter[str], list[str]]] = []
    for question in questions:
        words = content_words(question)
        if not words:
            continue
        for vocabulary, counts, members in groups:
            overlap = len(words & vocabulary) / len(words | vocabulary)
            if overlap >= threshold:
                vocabulary |= words
                counts.update(words)
                members.append(question)
                break
        else:
            groups.append((set(words), Counter(words), [question]))
    topics = [
        Topic(
            label=" ".join(word for word, _ in counts.most_common(3)),
            count=len(members),
            examples=tuple(dict.fromkeys(members))[:examples],
        )
        for _, counts, members in groups
    ]
    return sorted(topics, key=lambda topic: (-topic.count, topic.label))
