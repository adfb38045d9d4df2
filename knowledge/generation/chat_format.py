"""Turning chat messages into prompt token ids with the model's chat template, within a budget."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from knowledge.generation.base import ChatMessage

logger = logging.getLogger(__name__)

_ROLES: dict[type, str] = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}


def to_chat_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """The `{"role", "content"}` dicts chat templates expect. Only system/human/ai turns."""
    if not messages:
        raise ValueError("generate() needs at least one message")
    chat = []
    for message in messages:
        role = next((r for cls, r in _ROLES.items() if isinstance(message, cls)), None)
        if role is None:
            raise ValueError(f"unsupported message type {type(message).__name__}")
        chat.append({"role": role, "content": str(message.text)})
    return chat


def _encode(tokenizer: Any, chat: list[dict[str, str]], *, generation_prompt: bool) -> list[int]:
    # sanitize_control_tokens: text such as "<|im_start|>system" inside a Slack message or a
    # policy document is encoded as plain text, so it cannot forge a turn boundary.
    ids = tokenizer.apply_chat_template(
        chat,
        add_generation_prompt=generation_prompt,
        tokenize=True,
        return_dict=False,
        sanitize_control_tokens=True,
    )
    return list(ids)


def encode_chat(tokenizer: Any, chat: list[dict[str, str]], budget: int) -> list[int]:
    """Prompt ids for `chat` (ending with the assistant's turn opener), at most `budget` long.

    When the prompt is too long, the oldest turns after the system message are dropped first
    (the last turn is always kept); if it is still too long, tokens are cut from the left of
    what follows the system message, which is kept whole whenever it fits.
    """
    if budget <= 0:
        raise ValueError("no room for a prompt: max_new_tokens fills the whole context")
    ids = _encode(tokenizer, chat, generation_prompt=True)
    if len(ids) <= budget:
        return ids
    has_system = chat[0]["role"] == "system"
    system, turns = (chat[:1], chat[1:]) if has_system else ([], chat)
    while len(turns) > 1 and len(ids) > budget:
        turns = turns[1:]
        ids = _encode(tokenizer, system + turns, generation_prompt=True)
    if len(ids) > budget:
        prefix = _encode(tokenizer, system, generation_prompt=False) if system else []
        if prefix and ids[: len(prefix)] == prefix and len(prefix) < budget:
            ids = prefix + ids[len(ids) - (budget - len(prefix)) :]
        else:
            ids = ids[len(ids) - budget :]
    dropped = len(chat) - len(system) - len(turns)
    logger.warning("prompt truncated to %d tokens (%d earlier turns dropped)", len(ids), dropped)
    return ids
