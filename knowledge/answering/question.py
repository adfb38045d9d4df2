"""A question as typed in chat, made plain: Slack markup, mentions and emoji out, the words in.

Pure functions. Slack sends "<@U0123> how many days?", "<#C01|people-ops>", "<https://x|the form>"
and ":palm_tree:" in message text; the engine searches and quotes with the words only.
"""

from __future__ import annotations

import re

_USER_MENTION = re.compile(r"<[@!](?:[A-Z0-9]+|here|channel|everyone)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_BARE_CHANNEL = re.compile(r"<#[A-Z0-9]+>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+'-]+:(?::skin-tone-\d:)?", re.I)
# Pictographs, symbols, dingbats, flags, variation selectors and joiners.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\ufe0f\u200d\u2b50\u2b55"
    "\u2705\u274c\u2753-\u2755\u2757]"
)
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def plain_question(text: str) -> str:
    """`text` without chat markup: mentions and emoji dropped, channels as #name, links as their
    label (or address), Slack's escaped &amp; &lt; &gt; restored, whitespace collapsed."""
    text = _USER_MENTION.sub(" ", text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _BARE_CHANNEL.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _EMOJI.sub(" ", _EMOJI_CODE.sub(" ", text))
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return " ".join(text.split())
