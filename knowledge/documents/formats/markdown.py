"""Markdown (CommonMark with tables and YAML front matter) into sections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.token import Token

from knowledge.documents.detect import decode_text
from knowledge.documents.formats.liquid import strip_liquid
from knowledge.documents.formats.sections import (
    SectionBuilder,
    finish_document,
    link_suffix,
    meta_from_fields,
    normalize_text,
    table_lines,
    title_from_filename,
)
from knowledge.documents.parsed import DocType, ParsedDocument, ParseError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_MARKDOWN = MarkdownIt("commonmark").enable("table")


def parse_markdown(data: bytes, filename: str) -> ParsedDocument:
    """Front matter gives the metadata; headings, lists, tables and code give the sections."""
    text = decode_text(data, filename).replace("\r\n", "\n").lstrip("\ufeff")
    fields, body = _split_front_matter(text, filename)
    builder = SectionBuilder()
    _render_markdown(_MARKDOWN.parse(strip_liquid(body)), builder)
    meta = meta_from_fields(fields, title=fields.get("title"))
    title = meta.title or builder.first_h1 or title_from_filename(filename)
    return finish_document(DocType.MARKDOWN, filename, builder, meta, title)


def _split_front_matter(text: str, filename: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        loaded = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise ParseError(f"{filename} has malformed front matter (YAML): {reason}") from exc
    if loaded is None:
        return {}, text[match.end() :]
    if not isinstance(loaded, dict):
        # Not front matter but a document that opens with a rule ('---') and plain text.
        return {}, text
    return loaded, text[match.end() :]


@dataclass
class _MarkdownState:
    lists: list[int | None]  # per open list: the next number, or None for bullets
    list_lines: list[str]
    item_starts: bool = False
    heading_level: int = 0
    table_rows: list[list[str]] | None = None


def _render_markdown(tokens: Sequence[Token], builder: SectionBuilder) -> None:
    state = _MarkdownState(lists=[], list_lines=[])
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            state.heading_level = int(token.tag[1:])
        elif kind == "inline":
            _markdown_inline_block(_markdown_inline(token), state, builder)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            state.lists.append(int(token.attrs.get("start", 1) or 1) if ordered else None)
        elif kind == "list_item_open":
            state.item_starts = True
        elif kind in ("bullet_list_close", "ordered_list_close"):
            state.lists.pop()
            if not state.lists:
                builder.add("\n".join(state.list_lines))
                state.list_lines = []
        elif kind == "table_open":
            state.table_rows = []
        elif kind == "tr_open" and state.table_rows is not None:
            state.table_rows.append([])
        elif kind == "table_close" and state.table_rows is not None:
            builder.add("\n".join(table_lines(state.table_rows, has_header=True)))
            state.table_rows = None
        elif kind in ("fence", "code_block"):
            _markdown_text_block(token.content.rstrip("\n"), state, builder)
        elif kind == "html_block":
            fragment = BeautifulSoup(token.content, "lxml").get_text(" ")
            _markdown_text_block(fragment, state, builder)


def _markdown_inline_block(text: str, state: _MarkdownState, builder: SectionBuilder) -> None:
    if state.heading_level:
        builder.heading(state.heading_level, text)
        state.heading_level = 0
    elif state.table_rows is not None:
        state.table_rows[-1].append(text)
    else:
        _markdown_text_block(text, state, builder)


def _markdown_text_block(text: str, state: _MarkdownState, builder: SectionBuilder) -> None:
    if not state.lists:
        builder.add(text)
        return
    indent = "  " * (len(state.lists) - 1)
    if state.item_starts:
        number = state.lists[-1]
        marker = "- " if number is None else f"{number}. "
        if number is not None:
            state.lists[-1] = number + 1
        state.item_starts = False
    else:
        marker = "  "  # a second paragraph of the same item: indented under it
    for i, line in enumerate(normalize_text(text).split("\n")):
        state.list_lines.append(indent + (marker if i == 0 else "  ") + line)


def _markdown_inline(token: Token) -> str:
    parts: list[str] = []
    open_links: list[tuple[str, int]] = []
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content)  # the alt text
        elif kind == "html_inline" and re.match(r"<br\s*/?>", child.content, re.I):
            parts.append("\n")
        elif kind == "link_open":
            open_links.append((str(child.attrs.get("href", "")), len(parts)))
        elif kind == "link_close" and open_links:
            href, start = open_links.pop()
            parts.append(link_suffix(href, "".join(parts[start:])))
    return "".join(parts)
