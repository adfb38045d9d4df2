"""Reading what the bot did from the fake Web API's recorded calls."""

from __future__ import annotations

import json
from typing import Any

from tests.bot.fake_slack_api import Call, FakeSlackApi


def posts_in_thread(slack: FakeSlackApi, channel: str, thread_ts: str) -> list[Call]:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and c.args.get("thread_ts") == thread_ts
    ]


def updates_of(slack: FakeSlackApi, ts: str) -> list[Call]:
    """Successful chat.update calls on one message."""
    return [
        c for c in slack.calls_to("chat.update") if c.args.get("ts") == ts and c.response.get("ok")
    ]


def block_texts(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in a list of blocks, one per line (for assertions)."""
    texts: list[str] = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                texts.append(element["text"]["text"])
            elif "text" in element:
                texts.append(element["text"])
    return "\n".join(texts)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """action_id -> value of every button."""
    return {
        e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
    }


def final_reply(slack: FakeSlackApi, channel: str, thread_ts: str) -> tuple[str, dict[str, Any]]:
    """(ts, last content) of the one bot reply in a thread: the post, or its last update."""
    posts = posts_in_thread(slack, channel, thread_ts)
    assert len(posts) == 1, f"expected one reply in the thread, got {len(posts)}"
    ts = str(posts[0].response["ts"])
    updates = updates_of(slack, ts)
    return ts, (updates[-1].args if updates else posts[0].args)


def response_url_calls(slack: FakeSlackApi) -> list[dict[str, Any]]:
    return [c.args for c in slack.calls_to("response_url")]


def decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
