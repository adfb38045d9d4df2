"""Markdown (what language models write) to Slack's mrkdwn (pure)."""

from __future__ import annotations

import re

FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]+`")
URL = r"((?:[^()\s]|\([^()\s]*\))+)"
"""A link target: balanced parentheses may appear in it (Wikipedia-style URLs)."""
IMAGE = re.compile(r"!\[([^\]]*)\]\(" + URL + r"(?:\s+\"[^\"]*\")?\)")
LINK = re.compile(r"\[([^\]]+)\]\(" + URL + r"(?:\s+\"[^\"]*\")?\)")
AUTOLINK = re.compile(r"&lt;(https?://[^\s<>]+?)&gt;")
"""`<https://...>` (a CommonMark autolink), as it reads once escaped."""
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$", re.MULTILINE)
BOLD = re.compile(
    r"\*\*(?=\S)(.+?)(?<=\S)\*\*|(?<![\w_])__(?=[^\s_])([^_\n]*\s[^_\n]*?)(?<=[^\s_])__(?![\w_])"
)
"""`**bold**` anywhere; `__bold words__` only for a phrase between non-word characters, so
Python names (`__init__`, `__name__`) and `snake__case` stay as written."""
ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
QUOTE = re.compile(r"^&gt;", re.MULTILINE)
BOLD_MARK = "\x00"


def escape(text: str) -> str:
    """Slack's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _convert_prose(text: str) -> str:
    text = escape(text)
    text = QUOTE.sub(">", text)  # block quotes keep their marker
    text = RULE.sub("───", text)
    text = IMAGE.sub(lambda m: f"<{m.group(2)}|{m.group(1) or m.group(2)}>", text)
    text = LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = AUTOLINK.sub(lambda m: f"<{m.group(1)}>", text)
    text = HEADING.sub(lambda m: f"{BOLD_MARK}{m.group(1)}{BOLD_MARK}", text)
    text = BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = BOLD.sub(lambda m: f"{BOLD_MARK}{m.group(1) or m.group(2)}{BOLD_MARK}", text)
    text = ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    text = STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    return text.replace(BOLD_MARK, "*")


def _convert_outside_inline_code(text: str) -> str:
    parts: list[str] = []
    last = 0
    for match in INLINE_CODE.finditer(text):
        parts.append(_convert_prose(text[last : match.start()]))
        parts.append(escape(match.group(0)))
        last = match.end()
    parts.append(_convert_prose(text[last:]))
    return "".join(parts)


def to_mrkdwn(markdown: str) -> str:
    """Convert Markdown to mrkdwn; code (fenced and inline) is kept as written."""
    markdown = markdown.replace(BOLD_MARK, "")
    parts: list[str] = []
    last = 0
    for match in FENCE.finditer(markdown):
        parts.append(_convert_outside_inline_code(markdown[last : match.start()]))
        fence = match.group(0)
        body = fence[3:]
        body = body[:-3] if body.endswith("```") else body
        first_line, _, rest = body.partition("\n")
        if rest and re.fullmatch(r"[\w+-]*", first_line.strip()):
            body = rest  # drop the language tag: Slack does not use it
        parts.append(f"```{escape(body)}```")
        last = match.end()
    parts.append(_convert_outside_inline_code(markdown[last:]))
    return "".join(parts).strip()
