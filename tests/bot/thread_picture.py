"""A Slack thread drawn in HTML from what was really posted: a person's question, the bot's stream
(its task steps and markdown) and its Block Kit blocks (docs/slack-thread.png is a screenshot).

Only content from the messages is drawn; a block or chunk this page cannot draw is refused
(ValueError), so the picture never silently leaves out part of a reply."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_THUMB = (
    "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 "
    "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23"
    ".14-.47.14-.73v-2z"
)
_TASK_MARKS = {"complete": "✓", "in_progress": "…", "pending": "○", "error": "✕"}


@dataclass(frozen=True)
class Post:
    """One message of the thread as Slack holds it."""

    author: str
    at: datetime
    text: str = ""
    """A person's message text (Slack mrkdwn, mentions as <@U…>); a bot's text is its blocks."""
    blocks: Sequence[Mapping[str, Any]] = ()
    chunks: Sequence[Mapping[str, Any]] = ()
    """A streamed message's chunks (task_update, markdown_text)."""
    bot: bool = False


def render_thread(channel: str, posts: Sequence[Post], names: Mapping[str, str]) -> str:
    """A whole page: the thread pane of `channel` with `posts` (the parent first). `names` maps
    user ids to display names for mentions."""
    body = "".join(
        _post(p, names, first=i == 0, replies=len(posts) - 1) for i, p in enumerate(posts)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        + _CSS
        + "</style></head><body><div class='pane'><div class='head'><b>Thread</b> <span>#"
        + html.escape(channel)
        + "</span></div>"
        + body
        + "</div></body></html>"
    )


def _post(post: Post, names: Mapping[str, str], *, first: bool, replies: int) -> str:
    when = post.at.strftime("%H:%M")
    badge = "<span class='app'>APP</span>" if post.bot else ""
    content = _bot_content(post) if post.bot else f"<p>{mrkdwn(post.text, names)}</p>"
    count = f"{replies} {'reply' if replies == 1 else 'replies'}"
    divider = f"<div class='replies'><span>{count}</span></div>" if first and replies else ""
    return (
        f"<div class='post'><div class='avatar {'bot' if post.bot else ''}'>"
        f"{html.escape(post.author[:1].upper())}</div><div class='main'><div class='who'><b>"
        f"{html.escape(post.author)}</b>{badge}<span class='time'>{when}</span></div>"
        f"{content}</div></div>{divider}"
    )


def _bot_content(post: Post) -> str:
    parts = [_tasks(post.chunks)] if post.chunks else []
    parts += [block(b) for b in post.blocks]
    return "".join(parts)


def _tasks(chunks: Sequence[Mapping[str, Any]]) -> str:
    """The stream's steps as Slack shows them once it stopped: the last state of each task, in
    the order the tasks first appeared. Text chunks are drawn from the message's blocks."""
    tasks: dict[str, Mapping[str, Any]] = {}
    for chunk in chunks:
        if chunk["type"] == "task_update":
            tasks[str(chunk["id"])] = chunk
        elif chunk["type"] != "markdown_text":
            raise ValueError(f"cannot draw a {chunk['type']!r} chunk")
    rows = []
    for task in tasks.values():
        mark = _TASK_MARKS[str(task["status"])]
        links = ", ".join(
            f"<a href='{html.escape(s['url'])}'>{html.escape(s.get('text') or s['url'])}</a>"
            for s in task.get("sources", ())
        )
        output = html.escape(str(task.get("output", "")))
        rows.append(
            f"<li class='{html.escape(str(task['status']))}'><i>{mark}</i><span>"
            f"{html.escape(str(task['title']))}"
            + (f"<small>{output}</small>" if output else "")
            + (f"<small>{links}</small>" if links else "")
            + "</span></li>"
        )
    return f"<ul class='tasks'>{''.join(rows)}</ul>"


def block(b: Mapping[str, Any]) -> str:
    """One Block Kit block as Slack draws it in a message."""
    kind = b["type"]
    if kind == "markdown":
        return f"<div class='md'>{_MARKDOWN.render(str(b['text']))}</div>"
    if kind == "section":
        return f"<div class='section'>{_text(b['text'])}</div>"
    if kind == "header":
        return f"<h3>{_text(b['text'])}</h3>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        return f"<div class='context'>{' '.join(_text(e) for e in b['elements'])}</div>"
    if kind in ("actions", "context_actions"):
        return f"<div class='actions'>{''.join(_element(e) for e in b['elements'])}</div>"
    raise ValueError(f"cannot draw a {kind!r} block")


def _element(e: Mapping[str, Any]) -> str:
    if e["type"] == "button":
        return f"<button>{_text(e['text'])}</button>"
    if e["type"] == "feedback_buttons":
        return (
            f"<button class='fb'>{_icon(up=True)}{_text(e['positive_button']['text'])}</button>"
            f"<button class='fb'>{_icon(up=False)}{_text(e['negative_button']['text'])}</button>"
        )
    raise ValueError(f"cannot draw a {e['type']!r} element")


def _icon(*, up: bool) -> str:
    turn = "" if up else " transform='rotate(180 12 12)'"
    return f"<svg viewBox='0 0 24 24'><path d='{_THUMB}'{turn}/></svg>"


def _text(obj: Mapping[str, Any]) -> str:
    if obj["type"] == "plain_text":
        return html.escape(str(obj["text"]))
    if obj["type"] == "mrkdwn":
        return mrkdwn(str(obj["text"]), {})
    raise ValueError(f"cannot draw a {obj['type']!r} text")


def mrkdwn(text: str, names: Mapping[str, str]) -> str:
    """Slack's mrkdwn (mentions, <url|links>, `code`, *bold*, _italic_, newlines) as HTML."""
    out = html.escape(text, quote=False)
    out = re.sub(
        r"&lt;@([A-Z0-9]+)&gt;",
        lambda m: f"<span class='mention'>@{html.escape(names.get(m[1], m[1]))}</span>",
        out,
    )
    out = re.sub(r"&lt;(https?://[^|&]+)\|([^&]+)&gt;", r"<a href='\1'>\2</a>", out)
    out = re.sub(r"&lt;(https?://[^&]+)&gt;", r"<a href='\1'>\1</a>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"(?<!\w)\*([^*\n]+)\*(?!\w)", r"<b>\1</b>", out)
    out = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"<i>\1</i>", out)
    return out.replace("\n", "<br>")


_CSS = """
body{margin:0;background:#fff;font:15px/1.46 'Liberation Sans','DejaVu Sans',sans-serif;
 color:#1d1c1d}
.pane{width:760px;padding-bottom:12px}
.head{padding:14px 20px;border-bottom:1px solid #e2e2e2;font-size:18px}
.head span{color:#616061;font-size:14px;margin-left:6px}
.post{display:flex;gap:10px;padding:10px 20px}
.avatar{width:36px;height:36px;border-radius:6px;background:#e8912d;color:#fff;
 font-weight:bold;display:flex;align-items:center;justify-content:center;flex:none}
.avatar.bot{background:#4a154b}
.main{flex:1;min-width:0}.main p{margin:2px 0}
.who b{margin-right:6px}.time{color:#616061;font-size:12px}
.app{background:#e8e8e8;color:#616061;font-size:10px;font-weight:bold;padding:1px 3px;
 border-radius:2px;margin-right:6px}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.replies{display:flex;align-items:center;margin:4px 20px;color:#616061;font-size:13px}
.replies:after{content:'';flex:1;border-top:1px solid #e2e2e2;margin-left:10px}
.tasks{list-style:none;margin:6px 0 8px;padding:8px 12px;border:1px solid #e2e2e2;
 border-radius:8px;background:#f8f8f8;font-size:14px}
.tasks li{display:flex;gap:8px;padding:2px 0}
.tasks i{font-style:normal;color:#007a5a;font-weight:bold;width:14px}
.tasks small{display:block;color:#616061;font-size:13px}
.md p{margin:4px 0}.md ul{margin:4px 0;padding-left:22px}
code{font:12px 'DejaVu Sans Mono',monospace;color:#c01343;background:#f6f6f6;
 border:1px solid #e2e2e2;border-radius:3px;padding:1px 3px;white-space:nowrap}
a{color:#1264a3;text-decoration:none}
.context{color:#616061;font-size:12px;margin-top:6px}
.actions{display:flex;gap:8px;margin-top:8px}
button{font:13px 'Liberation Sans',sans-serif;font-weight:bold;background:#fff;
 border:1px solid #c8c8c8;border-radius:6px;padding:4px 10px;display:flex;gap:6px;
 align-items:center;color:#1d1c1d}
button svg{width:14px;height:14px;fill:#616061}
hr{border:0;border-top:1px solid #e2e2e2}
"""
