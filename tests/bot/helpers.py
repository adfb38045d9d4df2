"""Reading what the bot did from the fake Web API's recorded calls."""

from __future__ import annotations

from typing import Any

from tests.bot.fake_slack_api import Call, FakeSlackApi


def posts_in_thread(slack: FakeSlackApi, channel: str, thread_ts: str) -> list[Call]:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and c.args.get("thread_ts") == thread_ts
    ]


def block_texts(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in a list of blocks, one per line (for assertions)."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block.get("text"), str):  # a markdown block
            texts.append(block["text"])
        elif "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                texts.append(element["text"]["text"])
            elif "text" in element:
                texts.append(element["text"])
    return "\n".join(texts)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """action_id -> value of every button; feedback buttons as 'helpbot_feedback:up' and
    'helpbot_feedback:down'."""
    found: dict[str, str] = {}
    for block in blocks:
        for e in (
            block.get("elements", []) if block["type"] in ("actions", "context_actions") else []
        ):
            if e["type"] == "feedback_buttons":
                found[f"{e['action_id']}:up"] = e["positive_button"]["value"]
                found[f"{e['action_id']}:down"] = e["negative_button"]["value"]
            else:
                found[e["action_id"]] = e["value"]
    return found


def bot_replies(slack: FakeSlackApi, channel: str, thread_ts: str) -> list[str]:
    """ts of every message the bot started in a thread: posts and streams, in order."""
    return [
        str(c.response["ts"])
        for c in slack.calls
        if c.method in ("chat.postMessage", "chat.startStream")
        and c.response.get("ok")
        and c.args.get("channel") == channel
        and c.args.get("thread_ts") == thread_ts
    ]


def streamed_text(slack: FakeSlackApi, channel: str, ts: str) -> str:
    """The markdown text a stream shows (empty once the message was edited)."""
    message = slack.message(channel, ts)
    chunks = message.chunks if message is not None else []
    return "".join(c["text"] for c in chunks if c["type"] == "markdown_text")


def shown(slack: FakeSlackApi, channel: str, ts: str) -> dict[str, Any]:
    """What a person sees in one bot message now: its text and blocks (a stream's text as
    a markdown block first), its stream chunks and state."""
    message = slack.message(channel, ts)
    assert message is not None, f"no message {ts} in {channel}"
    markdown = streamed_text(slack, channel, ts)
    blocks = ([{"type": "markdown", "text": markdown}] if markdown else []) + message.blocks
    return {
        "text": message.text or markdown,
        "blocks": blocks,
        "chunks": list(message.chunks),
        "state": message.state,
    }


def final_reply(slack: FakeSlackApi, channel: str, thread_ts: str) -> tuple[str, dict[str, Any]]:
    """(ts, what it shows) of the one bot reply in a thread, streamed or posted."""
    replies = bot_replies(slack, channel, thread_ts)
    assert len(replies) == 1, f"expected one reply in the thread, got {len(replies)}"
    return replies[0], shown(slack, channel, replies[0])


def response_url_calls(slack: FakeSlackApi) -> list[dict[str, Any]]:
    return [c.args for c in slack.calls_to("response_url")]
