"""Rich tables for the CLI whose id columns are never cut, so `docs show ID` can be pasted."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Column, Table

ID_SHARE = 0.5
"""Up to this share of the terminal an id column keeps every id on one line."""


def id_column(header: str, ids: Iterable[str], width: int) -> Column:
    """An id column: whole ids on one line when they fit in half the width, else folded
    onto several lines (never an ellipsis)."""
    longest = max((len(i) for i in ids), default=len(header))
    if longest <= width * ID_SHARE:
        return Column(header, no_wrap=True, min_width=max(longest, len(header)))
    return Column(header, overflow="fold")


def id_table(console: Console, header: str, ids: Iterable[str], *others: str) -> Table:
    """A table whose first column holds ids (see `id_column`), then plain columns."""
    return Table(id_column(header, list(ids), console.width), *others)
