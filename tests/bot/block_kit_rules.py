"""Block Kit's limits as Slack enforces them, for the strict fake Web API (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MESSAGE_BLOCKS = 50
"""A message holds at most 50 blocks; modals and the Home tab 100."""
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
VALUE_LENGTH = 2000
ID_LENGTH = 255
MARKDOWN_TOTAL = 12000
"""All markdown blocks of one message together."""
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
CONTEXT_ACTIONS_ELEMENTS = 5
MESSAGE_TEXT = 40000
STREAM_TEXT = 12000
"""markdown_text of one streaming call."""
TASK_STATUSES = ("pending", "in_progress", "complete", "error")


class BlockError(ValueError):
    """What Slack would answer: `invalid_blocks` and a pointer to the offending field."""


def _text_object(obj: Any, where: str, *, limit: int, plain_only: bool = False) -> None:
    if not isinstance(obj, dict):
        raise BlockError(f"{where}: must be a text object")
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in kinds:
        raise BlockError(f"{where}.type: must be one of {kinds}")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise BlockError(f"{where}.text: must be a non-empty string")
    if len(text) > limit:
        raise BlockError(f"{where}.text: must be at most {limit} characters")


def _id(value: Any, where: str) -> None:
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= ID_LENGTH):
        raise BlockError(f"{where}: must be 1-{ID_LENGTH} characters")


def _button(element: dict[str, Any], where: str) -> None:
    _text_object(element.get("text"), f"{where}.text", limit=BUTTON_TEXT, plain_only=True)
    _id(element.get("action_id"), f"{where}.action_id")
    if len(str(element.get("value", ""))) > VALUE_LENGTH:
        raise BlockError(f"{where}.value: must be at most {VALUE_LENGTH} characters")
    if element.get("style") not in (None, "primary", "danger"):
        raise BlockError(f"{where}.style: must be primary or danger")
    if element.get("url") is not None and len(str(element["url"])) > 3000:
        raise BlockError(f"{where}.url: must be at most 3000 characters")


def _feedback_buttons(element: dict[str, Any], where: str) -> None:
    _id(element.get("action_id"), f"{where}.action_id")
    for side in ("positive_button", "negative_button"):
        button = element.get(side)
        if not isinstance(button, dict):
            raise BlockError(f"{where}.{side}: required")
        _text_object(button.get("text"), f"{where}.{side}.text", limit=BUTTON_TEXT, plain_only=True)
        value = button.get("value")
        if not isinstance(value, str) or not 0 < len(value) <= VALUE_LENGTH:
            raise BlockError(f"{where}.{side}.value: must be 1-{VALUE_LENGTH} characters")


def _elements(block: dict[str, Any], where: str, limit: int) -> list[dict[str, Any]]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 0 < len(elements) <= limit:
        raise BlockError(f"{where}.elements: must hold 1-{limit} elements")
    return elements


def _block(block: Any, where: str) -> int:
    """Check one block; returns the markdown characters it holds."""
    if not isinstance(block, dict):
        raise BlockError(f"{where}: must be an object")
    kind = block.get("type")
    _id(block.get("block_id"), f"{where}.block_id")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            raise BlockError(f"{where}: a section needs text or fields")
        if "text" in block:
            _text_object(block["text"], f"{where}.text", limit=SECTION_TEXT)
        for n, field in enumerate(block.get("fields") or []):
            _text_object(field, f"{where}.fields[{n}]", limit=FIELD_TEXT)
        if "accessory" in block and block["accessory"].get("type") == "button":
            _button(block["accessory"], f"{where}.accessory")
    elif kind == "header":
        _text_object(block.get("text"), f"{where}.text", limit=HEADER_TEXT, plain_only=True)
    elif kind == "context":
        for n, element in enumerate(_elements(block, where, CONTEXT_ELEMENTS)):
            if element.get("type") != "image":
                _text_object(element, f"{where}.elements[{n}]", limit=SECTION_TEXT)
    elif kind == "actions":
        action_ids = set()
        for n, element in enumerate(_elements(block, where, ACTIONS_ELEMENTS)):
            if element.get("type") != "button":
                raise BlockError(f"{where}.elements[{n}]: only buttons are supported here")
            _button(element, f"{where}.elements[{n}]")
            if element.get("action_id") in action_ids:
                raise BlockError(f"{where}.elements[{n}].action_id: must be unique")
            action_ids.add(element.get("action_id"))
    elif kind == "context_actions":
        for n, element in enumerate(_elements(block, where, CONTEXT_ACTIONS_ELEMENTS)):
            if element.get("type") == "feedback_buttons":
                _feedback_buttons(element, f"{where}.elements[{n}]")
            elif element.get("type") != "icon_button":
                raise BlockError(f"{where}.elements[{n}]: feedback_buttons or icon_button")
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            raise BlockError(f"{where}.text: must be a non-empty string")
        return len(text)
    elif kind == "input":
        _text_object(block.get("label"), f"{where}.label", limit=2000, plain_only=True)
        if not isinstance(block.get("element"), dict):
            raise BlockError(f"{where}.element: required")
    elif kind != "divider":
        raise BlockError(f"{where}.type: unknown block type {kind!r}")
    return 0


def check_blocks(blocks: Any, *, limit: int = MESSAGE_BLOCKS) -> None:
    """Raise BlockError unless `blocks` is a list Slack would accept."""
    if not isinstance(blocks, list):
        raise BlockError("blocks: must be an array")
    if len(blocks) > limit:
        raise BlockError(f"blocks: must hold at most {limit} blocks")
    markdown = 0
    block_ids: set[str] = set()
    for n, block in enumerate(blocks):
        markdown += _block(block, f"blocks[{n}]")
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                raise BlockError(f"blocks[{n}].block_id: must be unique")
            block_ids.add(block_id)
    if markdown > MARKDOWN_TOTAL:
        raise BlockError(f"blocks: markdown blocks hold at most {MARKDOWN_TOTAL} characters")


def check_view(view: Any, *, kind: str) -> None:
    """A modal or Home tab view as views.open / views.publish accept it."""
    if not isinstance(view, dict) or view.get("type") != kind:
        raise BlockError(f"view.type: must be {kind}")
    if kind == "modal":
        _text_object(view.get("title"), "view.title", limit=24, plain_only=True)
        for side in ("submit", "close"):
            if side in view:
                _text_object(view[side], f"view.{side}", limit=24, plain_only=True)
        has_input = any(b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            raise BlockError("view.submit: required when the view has input blocks")
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise BlockError("view.private_metadata: must be at most 3000 characters")
    _id(view.get("callback_id"), "view.callback_id")
    check_blocks(view.get("blocks"), limit=VIEW_BLOCKS)


def check_chunks(chunks: Sequence[Any]) -> None:
    """Streaming chunks: markdown_text, plan_update, task_update, blocks."""
    for n, chunk in enumerate(chunks):
        where = f"chunks[{n}]"
        kind = chunk.get("type") if isinstance(chunk, dict) else None
        if kind == "markdown_text":
            text = chunk.get("text")
            if not isinstance(text, str) or len(text) > STREAM_TEXT:
                raise BlockError(f"{where}.text: a string of at most {STREAM_TEXT} characters")
        elif kind == "plan_update":
            if not chunk.get("title"):
                raise BlockError(f"{where}.title: required")
        elif kind == "task_update":
            if not chunk.get("id") or not chunk.get("title"):
                raise BlockError(f"{where}: id and title are required")
            if chunk.get("status") not in TASK_STATUSES:
                raise BlockError(f"{where}.status: one of {TASK_STATUSES}")
            for m, source in enumerate(chunk.get("sources") or []):
                if source.get("type") != "url" or not source.get("url") or not source.get("text"):
                    raise BlockError(f"{where}.sources[{m}]: a url element with url and text")
        elif kind == "blocks":
            check_blocks(chunk.get("blocks"))
        else:
            raise BlockError(f"{where}.type: unknown chunk type {kind!r}")
