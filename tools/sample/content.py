"""The content model of the generated handbook documents: headings, paragraphs, lists, tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1 or 2 (the document title is level 0)."""

    text: str
    level: int


@dataclass(frozen=True)
class Para:
    """A plain paragraph of body text."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted (or numbered) list."""

    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a header row."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Para | Bullets | Table


@dataclass(frozen=True)
class SampleDocument:
    """One generated handbook document and its metadata."""

    filename: str
    title: str
    owner: str
    review_by: str
    blocks: tuple[Block, ...]
    audiences: tuple[str, ...] = ("everyone",)

    @property
    def keywords(self) -> str:
        """Metadata keywords carrying the owner, audiences and review date."""
        return (
            f"owner={self.owner}; audiences={','.join(self.audiences)}; review_by={self.review_by}"
        )


def h1(text: str) -> Heading:
    """Return a level-1 heading."""
    return Heading(text, 1)


def h2(text: str) -> Heading:
    """Return a level-2 heading."""
    return Heading(text, 2)


def p(text: str) -> Para:
    """Return a paragraph."""
    return Para(text)


def ul(*items: str) -> Bullets:
    """Return a bulleted list."""
    return Bullets(tuple(items))


def ol(*items: str) -> Bullets:
    """Return a numbered list."""
    return Bullets(tuple(items), numbered=True)


def table(header: Sequence[str], *rows: Sequence[str]) -> Table:
    """Return a table; every row must have as many cells as the header."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"ragged table under header {header!r}")
    return Table(tuple(header), tuple(tuple(row) for row in rows))
