"""Liquid / Jekyll tags out of Markdown: what a reader of the built site sees, no tag syntax.

Pure functions. Static-site handbooks are committed with their template tags: `{% page "x/" %}`
inside link targets, `{% slack_channel "name" %}`, `{% comment %}...{% endcomment %}`,
`{% image ... %}`, `{{ site.baseurl }}`. Left in, their words ("slack_channel", "endalert",
"baseurl") are indexed, match questions and are quoted in answers. Tags whose rendered output
is text a reader sees keep that text (a channel becomes "#name"); blocks that render nothing
(comments) go with their content; every other tag goes, its body kept.
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_RAW = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")
# A tag whose output is a name the reader sees: a chat channel ("#name").
_CHANNEL = re.compile(r"\{%-?\s*\w*channel\s+[\"']#?([^\"']+)[\"'][^%]*-?%\}")
_TAG = re.compile(r"\{%.*?%\}", re.S)
_OUTPUT = re.compile(r"\{\{.*?\}\}", re.S)
_LEFT_OPEN = re.compile(r"\{[%{][^\n]*$", re.M)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def has_liquid(text: str) -> bool:
    """Whether `text` holds any template tag or output expression."""
    return "{%" in text or "{{" in text


def strip_liquid(text: str) -> str:
    """`text` with its Liquid tags rendered as plain text or removed (raw blocks kept as text).

    Markdown around a removed tag stays valid: a link whose target was a `{% page %}` tag keeps
    its label and an empty (relative) target, which link rendering drops.
    """
    if not has_liquid(text):
        return text
    raw_blocks: list[str] = []

    def keep_raw(match: re.Match[str]) -> str:
        raw_blocks.append(match.group(1))
        return f"\x00{len(raw_blocks) - 1}\x00"

    text = re.sub(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", keep_raw, text, flags=re.S)
    text = _COMMENT.sub("", text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1).strip(), text)
    text = _TAG.sub("", _RAW.sub("", text))
    text = _OUTPUT.sub("", text)
    text = _LEFT_OPEN.sub("", text)  # an unclosed tag: the rest of its line is tag, not text
    text = _BLANK_LINES.sub("\n\n", text)
    return re.sub("\x00(\\d+)\x00", lambda m: raw_blocks[int(m.group(1))], text)
