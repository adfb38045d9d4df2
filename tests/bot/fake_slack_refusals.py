"""How the fake Slack Web API refuses a request: tokens, scopes, content, trigger ids, cursors."""

from __future__ import annotations

import base64
import itertools
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from tests.bot.block_kit_rules import (
    MESSAGE_TEXT,
    BlockError,
    check_blocks,
    check_chunks,
)

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
TRIGGER_TTL_S = 3.0
"""Slack accepts a trigger_id for 3 seconds after the interaction that carried it."""

_trigger_ids = itertools.count(1)
_issued_triggers: dict[str, float] = {}
_triggers_lock = threading.Lock()


class SlackError(Exception):
    """A refusal: `{"ok": false, "error": code, ...extra}`."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


# --- tokens and scopes ------------------------------------------------------------------------
CHAT = ("chat:write",)
SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": CHAT,
    "chat.update": CHAT,
    "chat.delete": CHAT,
    "chat.postEphemeral": CHAT,
    "chat.startStream": CHAT,
    "chat.appendStream": CHAT,
    "chat.stopStream": CHAT,
    "usergroups.users.list": ("usergroups:read",),
    "users.lookupByEmail": ("users:read.email",),
    "users.info": ("users:read",),
    "conversations.open": ("im:write",),
    "reactions.add": ("reactions:write",),
    "reactions.remove": ("reactions:write",),
    "assistant.threads.setStatus": ("assistant:write",),
    "assistant.threads.setSuggestedPrompts": ("assistant:write",),
    "assistant.threads.setTitle": ("assistant:write",),
}
READ_SCOPE = {"C": "channels:read", "G": "groups:read", "D": "im:read"}
NO_SCOPE = ("auth.test", "views.open", "views.publish", "views.update")
CHANNEL_SCOPED = ("conversations.members", "conversations.info")
"""Methods whose scope depends on the kind of channel asked about."""
APP_LEVEL = "apps.connections.open"


def manifest_bot_scopes() -> set[str]:
    """The bot scopes manifest.yml asks for: the fake's bot token holds exactly these."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return set(manifest["oauth_config"]["scopes"]["bot"])


def check_method(method: str) -> None:
    known = (*SCOPES, *NO_SCOPE, *CHANNEL_SCOPED, APP_LEVEL)
    if method not in known:
        raise SlackError("unknown_method")


def authorize(
    method: str,
    token: str,
    args: dict[str, Any],
    *,
    tokens: dict[str, set[str]],
    app_tokens: set[str],
) -> None:
    """Refuse a missing or unknown token, an app token where a bot token is due (and the
    reverse), and a token without the method's scope."""
    if method == APP_LEVEL:
        if token not in app_tokens:
            raise SlackError("not_allowed_token_type" if token else "not_authed")
        return
    if not token:
        raise SlackError("not_authed")
    if token not in tokens:
        raise SlackError("invalid_auth")
    needed: tuple[str, ...] = SCOPES.get(method, ())
    if method in CHANNEL_SCOPED:
        needed = (READ_SCOPE.get(str(args.get("channel", ""))[:1], "channels:read"),)
    granted = tokens[token]
    if needed and not set(needed) & granted:
        raise SlackError(
            "missing_scope", needed=",".join(needed), provided=",".join(sorted(granted))
        )


# --- content ----------------------------------------------------------------------------------
def blocks_of(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args.get("blocks")
    if blocks in (None, "", []):
        return []
    try:
        check_blocks(blocks)
    except BlockError as error:
        raise SlackError("invalid_blocks", errors=[str(error)]) from error
    return list(blocks)


def chunks_of(args: dict[str, Any]) -> list[dict[str, Any]]:
    chunks = list(args.get("chunks") or [])
    if args.get("markdown_text"):
        chunks.insert(0, {"type": "markdown_text", "text": args["markdown_text"]})
    try:
        check_chunks(chunks)
    except BlockError as error:
        raise SlackError("invalid_chunks", errors=[str(error)]) from error
    return chunks


def message_content(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    text = str(args.get("text") or "")
    blocks = blocks_of(args)
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks


# --- trigger ids and cursors ------------------------------------------------------------------
def issue_trigger_id() -> str:
    """A trigger_id as Slack puts one in an interaction payload (valid for 3 s from now)."""
    with _triggers_lock:
        trigger = f"{next(_trigger_ids)}.{int(time.time())}.fake{next(_trigger_ids):08x}"
        _issued_triggers[trigger] = time.monotonic()
        return trigger


def check_trigger(args: dict[str, Any], *, now: float) -> None:
    """Refuse a trigger_id never issued, or issued more than 3 s before `now` (monotonic)."""
    trigger = str(args.get("trigger_id") or "")
    with _triggers_lock:
        issued = _issued_triggers.get(trigger)
    if issued is None:
        raise SlackError("invalid_trigger_id")
    if now - issued > TRIGGER_TTL_S:
        raise SlackError("expired_trigger_id")


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        kind, _, offset = base64.b64decode(str(cursor)).decode().partition(":")
        if kind == "offset" and offset.isdigit():
            return int(offset)
    except ValueError:
        pass
    raise SlackError("invalid_cursor")
