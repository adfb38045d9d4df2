"""A PDF page's text as visual lines with font size and position, table rows split into cells."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

try:  # pypdf's font metrics are not public API; without them text widths are estimated
    from pypdf.generic._font import Font as _PdfFont
except ImportError:  # pragma: no cover
    _PdfFont = None  # type: ignore[assignment,misc]

from knowledge.documents.formats.sections import one_line

# Bullet glyphs as PDF text extraction returns them (reportlab's is DEL, Word's is U+F0B7).
_BULLET_GLYPH = re.compile(r"^(?:[\x7f\uf0b7\uf0a7]|[•●▪◦○■·‣⁃–](?=\s))\s*")
# Between two pieces of one line, a gap wider than a word space (~0.3 em) but this wide is
# table-cell padding or a column gutter.
_CELL_GAP_EMS = 0.8
_AVERAGE_CHAR_EMS = 0.5  # a Latin glyph is about half an em wide, when the font says nothing


@dataclass(frozen=True)
class _PdfRun:
    """Text pypdf reported without a line break, and where it starts."""

    text: str
    size: float
    x: float
    y: float
    forced_break: bool  # it follows a line break inside one text piece: a new line for sure
    end: float  # x where the run's last glyph ends


@dataclass
class _PendingRun:
    parts: list[str]
    size: float
    x: float
    y: float
    forced_break: bool
    width: float = 0.0


class _GlyphWidths:
    """Text widths in ems from the PDF's own font metrics, estimated when they are unknown."""

    def __init__(self) -> None:
        self._fonts: dict[int, Any] = {}

    def ems(self, font_dict: Any, text: str) -> float:
        font = self._font(font_dict)
        if font is None:
            return len(text) * _AVERAGE_CHAR_EMS
        return float(font.get_text_width(text)) / 1000  # glyph widths are in 1/1000 em

    def _font(self, font_dict: Any) -> Any:
        if font_dict is None or _PdfFont is None:
            return None
        key = id(font_dict)
        if key not in self._fonts:
            try:
                self._fonts[key] = _PdfFont.from_font_resource(font_dict)
            except Exception:
                self._fonts[key] = None
        return self._fonts[key]


@dataclass(frozen=True)
class PdfLine:
    """One visual line; `cells` has several entries when it is a table row."""

    cells: tuple[str, ...]
    size: float  # effective font size in points
    page: int
    y: float

    @property
    def text(self) -> str:
        return " ".join(self.cells)


def read_page_lines(page: Any, number: int) -> list[PdfLine]:
    """The visual lines of one pypdf page (numbered from 0), top to bottom as drawn."""
    return _visual_lines(_page_runs(page), number)


def _page_runs(page: Any) -> list[_PdfRun]:
    """The page's text in content order, cut where pypdf breaks lines, with size and position."""
    runs: list[_PdfRun] = []
    pending: _PendingRun | None = None
    widths = _GlyphWidths()

    def close_run() -> None:
        nonlocal pending
        if pending is not None:
            text = one_line("".join(pending.parts))
            if text:
                end = pending.x + pending.width
                runs.append(
                    _PdfRun(text, pending.size, pending.x, pending.y, pending.forced_break, end)
                )
        pending = None

    def visit(text: str, cm: Any, tm: Any, font: Any, font_size: float) -> None:
        nonlocal pending
        size = round(float(font_size) * _scale(tm) * _scale(cm), 1)
        x = float(tm[4]) * float(cm[0]) + float(tm[5]) * float(cm[2]) + float(cm[4])
        y = float(tm[4]) * float(cm[1]) + float(tm[5]) * float(cm[3]) + float(cm[5])
        for i, part in enumerate(text.split("\n")):
            if i:
                close_run()
            if pending is None and part.strip():
                pending = _PendingRun([], size, x, y, forced_break=i > 0)
            if pending is not None and part:
                pending.parts.append(part)
                pending.width += widths.ems(font, part) * size

    page.extract_text(visitor_text=visit)
    close_run()
    return runs


def _visual_lines(runs: list[_PdfRun], page: int) -> list[PdfLine]:
    """Join runs drawn on the same baseline; a wide horizontal gap between them is a new cell."""
    lines: list[PdfLine] = []
    cells: list[str] = []
    sizes: Counter[float] = Counter()
    previous: _PdfRun | None = None
    for run in runs:
        same_line = (
            previous is not None
            and not run.forced_break
            and abs(run.y - previous.y) <= 0.35 * max(run.size, previous.size)
        )
        if previous is not None and same_line:
            if run.x - previous.end > _CELL_GAP_EMS * run.size:
                cells.append(run.text)
            else:
                cells[-1] += " " + run.text
        else:
            if cells and previous is not None:
                lines.append(_pdf_line(cells, sizes, page, previous.y))
            cells, sizes = [run.text], Counter()
        sizes[run.size] += len(run.text)
        previous = run
    if cells and previous is not None:
        lines.append(_pdf_line(cells, sizes, page, previous.y))
    return lines


def _pdf_line(cells: list[str], sizes: Counter[float], page: int, y: float) -> PdfLine:
    cells = [_BULLET_GLYPH.sub("- ", cells[0]), *cells[1:]]
    # The size that draws most of the characters is the line's size (not its bullet's).
    return PdfLine(tuple(cells), sizes.most_common(1)[0][0], page, y)


def _scale(matrix: Sequence[float]) -> float:
    a, b, c, d = (float(v) for v in matrix[:4])
    return math.sqrt(abs(a * d - b * c)) or 1.0
