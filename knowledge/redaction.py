"""Masking secrets for display: SecretStr values, passwords inside URLs, secret query values."""

from __future__ import annotations

import re
from typing import Any

from pydantic import SecretStr

MASK = "**********"
# scheme://user:password@host -> scheme://user:**********@host (any scheme, e.g. postgresql+psycopg)
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*):(?P<secret>[^\s/]*)@")
# ?api_key=...&token=... -> masked values
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&](?:[a-z_]*(?:key|token|secret|password|passwd|pwd)[a-z_]*)=)(?P<secret>[^&#\s]+)",
    re.IGNORECASE,
)


def mask_text(text: str) -> str:
    """The text with every URL password and secret-looking query value masked."""
    masked = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _QUERY_SECRET.sub(lambda m: f"{m['head']}{MASK}", masked)


def display_value(value: Any) -> str:
    """How a setting's value may be shown: secrets masked (set or not: 'not set')."""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else "(not set)"
    if isinstance(value, list | tuple | set):
        return str([display_value(v) for v in value])
    if isinstance(value, dict):
        return str({k: display_value(v) for k, v in value.items()})
    return mask_text(str(value))
