"""Reading Slack payloads into plain questions and reactions (pure: no I/O, no Slack client)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Source = Literal["mention", "thread", "dm", "assistant", "command"]
PRIVATE_SOURCES = ("dm", "assistant", "command")
# Message subtypes that are still a person writing (everything else: edits, joins, deletions).
ANSWERABLE_SUBTYPES = (None, "file_share", "thread_broadcast")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Question:
    """A question as the bot handles it, wherever in Slack it was asked."""

    team_id: str
    channel_id: str
    user_id: str
    text: str
    """The question with the bot's mention removed."""
    source: Source
    ts: str | None = None
    """The asker's message ts (None for slash commands)."""
    thread_ts: str | None = None
    """The thread the answer goes to (None for slash commands: they answer privately)."""
    event_id: str | None = None
    response_url: str | None = None
    """Slash commands answer through this URL."""

    @property
    def private(self) -> bool:
        """Only the asker sees the answer: it may use their groups' documents."""
        return self.source in PRIVATE_SOURCES

    @property
    def dedup_key(self) -> str:
        """One key per question, whichever event (mention, message, retry) carries it."""
        if self.ts is None:
            return f"cmd:{self.team_id}:{self.channel_id}:{self.event_id}"
        return f"msg:{self.team_id}:{self.channel_id}:{self.ts}"


@dataclass(frozen=True)
class Reaction:
    """A reaction added to or removed from a message."""

    user_id: str
    name: str
    """Emoji name without a skin tone, e.g. '+1'."""
    channel_id: str
    ts: str
    added: bool
    event_id: str | None
    item_user: str | None


def strip_mentions(text: str, bot_user_id: str) -> str:
    """The text without the bot's own mention(s), whitespace tidied."""
    without = MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else m.group(0), text)
    return " ".join(without.split())


def mentions(text: str) -> set[str]:
    return {m.group(1) for m in MENTION.finditer(text)}


def _team(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or (body.get("team") or {}).get("id") or "")


def _is_person_writing(event: dict[str, Any], answer_bots: bool) -> bool:
    if event.get("subtype") not in ANSWERABLE_SUBTYPES:
        return False
    if event.get("bot_id") and not answer_bots:
        return False
    return bool(event.get("user") and (event.get("text") or "").strip())


def question_from_mention(
    body: dict[str, Any], bot_user_id: str, *, answer_bots: bool = False
) -> Question | None:
    """An @mention in a channel: answered in the thread it was written in (or a new one)."""
    event = body["event"]
    if not _is_person_writing(event, answer_bots):
        return None
    text = strip_mentions(event["text"], bot_user_id)
    return Question(
        team_id=_team(body),
        channel_id=event["channel"],
        user_id=event["user"],
        text=text,
        source="mention",
        ts=event["ts"],
        thread_ts=event.get("thread_ts") or event["ts"],
        event_id=body.get("event_id"),
    )


def question_from_message(
    body: dict[str, Any], bot_user_id: str, *, answer_bots: bool = False
) -> Question | None:
    """A message event: a direct message, or a candidate follow-up in a channel thread.

    Channel messages that mention the bot are left to the app_mention event; replies in a
    thread that mention other people but not the bot are addressed to them, not to the bot.
    The caller still checks that the bot is part of the thread before answering a follow-up.
    """
    event = body["event"]
    if not _is_person_writing(event, answer_bots):
        return None
    text, ts = event["text"], event["ts"]
    thread_ts = event.get("thread_ts")
    common = {
        "team_id": _team(body),
        "channel_id": event["channel"],
        "user_id": event["user"],
        "ts": ts,
        "event_id": body.get("event_id"),
    }
    if event.get("channel_type") == "im":
        return Question(
            text=strip_mentions(text, bot_user_id), source="dm", thread_ts=thread_ts or ts, **common
        )
    if not thread_ts or thread_ts == ts or mentions(text):
        return None
    return Question(text=" ".join(text.split()), source="thread", thread_ts=thread_ts, **common)


def question_from_assistant_message(body: dict[str, Any], bot_user_id: str) -> Question | None:
    """A message in an assistant thread (the side panel) or a reply in a DM thread."""
    event = body["event"]
    if not _is_person_writing(event, answer_bots=False):
        return None
    return Question(
        team_id=_team(body),
        channel_id=event["channel"],
        user_id=event["user"],
        text=strip_mentions(event["text"], bot_user_id),
        source="assistant",
        ts=event["ts"],
        thread_ts=event["thread_ts"],
        event_id=body.get("event_id"),
    )


def question_from_command(body: dict[str, Any]) -> Question:
    """A slash command (`/ask how much leave do I get?`): answered privately."""
    return Question(
        team_id=_team(body),
        channel_id=str(body.get("channel_id") or ""),
        user_id=str(body.get("user_id") or ""),
        text=" ".join(str(body.get("text", "")).split()),
        source="command",
        event_id=str(body.get("trigger_id") or ""),
        response_url=body.get("response_url"),
    )


def reaction_from_event(body: dict[str, Any]) -> Reaction | None:
    """A reaction on a message (reactions on files and file comments are not feedback)."""
    event = body["event"]
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user") or not event.get("reaction"):
        return None
    return Reaction(
        user_id=event["user"],
        name=str(event["reaction"]).split("::", 1)[0],
        channel_id=item["channel"],
        ts=item["ts"],
        added=event["type"] == "reaction_added",
        event_id=body.get("event_id"),
        item_user=event.get("item_user"),
    )
