"""Reading a Slack burst's outcome from the fake Web API's calls: one reply per question,
when the first step and the first answer text became visible, Web API calls per answer."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from benchmarks.common import percentile
from tests.bot.fake_slack_api import Call, FakeSlackApi

STARTS = ("chat.postMessage", "chat.startStream")
"""Calls that create the bot's reply in a thread (a placeholder post, or a stream)."""


@dataclass
class Sent:
    ts: str
    channel: str
    status: int
    ack_s: float
    sent_at: float


def _first_sent(sent: list[Sent]) -> dict[tuple[str, str], float]:
    first: dict[tuple[str, str], float] = {}
    for s in sent:
        first[(s.channel, s.ts)] = min(s.sent_at, first.get((s.channel, s.ts), s.sent_at))
    return first


def replies(slack: FakeSlackApi) -> dict[tuple[str, str], list[Call]]:
    """(channel, question ts) -> the successful calls that started a bot reply there."""
    found: dict[tuple[str, str], list[Call]] = {}
    for call in slack.calls:
        if call.method in STARTS and call.response.get("ok"):
            key = (str(call.args.get("channel")), str(call.args.get("thread_ts")))
            found.setdefault(key, []).append(call)
    return found


def _calls_on(slack: FakeSlackApi) -> dict[str, list[Call]]:
    """reply ts -> every later call on that message, in order."""
    on: dict[str, list[Call]] = {}
    for call in slack.calls:
        ts = call.args.get("ts")
        if ts and call.method in ("chat.update", "chat.appendStream", "chat.stopStream"):
            on.setdefault(str(ts), []).append(call)
    return on


def _has_text(call: Call, marker: str) -> bool:
    if call.method == "chat.update":
        return marker in str(call.args.get("text", ""))
    chunks = call.args.get("chunks") or []
    return any(c.get("type") == "markdown_text" and marker in c.get("text", "") for c in chunks)


def check_answers(slack: FakeSlackApi, sent: list[Sent], marker: str) -> dict[str, Any]:
    """Every question: exactly one bot message in its thread, whose final content answers."""
    questions = {(s.channel, s.ts) for s in sent}
    started = replies(slack)
    answered = errors = 0
    for key in questions:
        calls = started.get(key, [])
        if len(calls) != 1:
            continue
        ts = str(calls[0].response["ts"])
        seen = slack.seen_text(key[0], ts)
        answered += bool(marker and marker in seen) or "Sources" in seen
        errors += ":warning: Sorry" in seen
    counts = [len(started.get(key, [])) for key in questions]
    return {
        "questions": len(questions),
        "with_exactly_one_reply": counts.count(1),
        "with_two_or_more_replies": sum(c > 1 for c in counts),
        "without_reply": counts.count(0),
        "replies_holding_an_answer": answered,
        "error_replies": errors,
    }


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    return {
        "p50": round(statistics.median(values), 3),
        "p95": round(percentile(values, 0.95), 3),
        "p99": round(percentile(values, 0.99), 3),
    }


def visibility(slack: FakeSlackApi, sent: list[Sent], marker: str) -> dict[str, Any]:
    """Seconds from sending a question to: its first visible step (stream start or
    placeholder), the first call showing answer text, and the reply's last call."""
    started = replies(slack)
    later = _calls_on(slack)
    first_step, first_text, done = [], [], []
    for key, sent_at in _first_sent(sent).items():
        calls = started.get(key)
        if not calls:
            continue
        first = calls[0]
        first_step.append(first.at - sent_at)
        follow = later.get(str(first.response["ts"]), [])
        shown = [c for c in [first, *follow] if _has_text(c, marker)]
        if shown:
            first_text.append(shown[0].at - sent_at)
        done.append((follow[-1] if follow else first).at - sent_at)
    return {
        "first_step_s": _stats(first_step),
        "first_answer_text_s": _stats(first_text),
        "answer_complete_s": _stats(done),
    }


def calls_per_answer(slack: FakeSlackApi, questions: int) -> dict[str, Any]:
    """Web API calls the bot made per question, by method (auth.test excluded)."""
    by_method: dict[str, int] = {}
    for call in slack.calls:
        if call.method != "auth.test":
            by_method[call.method] = by_method.get(call.method, 0) + 1
    total = sum(by_method.values())
    return {
        "total": round(total / max(1, questions), 2),
        "by_method": {m: round(n / max(1, questions), 2) for m, n in sorted(by_method.items())},
    }
