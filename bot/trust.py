"""Whether the answering model's text may be shown before its check: its grounding-pass rate."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from knowledge.db import registry
from knowledge.db.connection import Database

log = logging.getLogger(__name__)

RATE_KEY = "grounding_pass_rate"


def unknown_rate() -> float | None:
    """No evaluation known: answer text never streams, only the steps do."""
    return None


def rate_in(metrics: dict[str, Any]) -> float | None:
    """The grounding-pass rate in a version's metrics (top level or one level down, as the
    evaluation stores it), or None."""
    candidates = [metrics.get(RATE_KEY)] + [
        value.get(RATE_KEY) for value in metrics.values() if isinstance(value, dict)
    ]
    for value in candidates:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def live_grounding_rate(db: Database, *, ttl_s: float = 10.0) -> Callable[[], float | None]:
    """The live registry version's grounding-pass rate, read at most every `ttl_s` seconds
    (so a promotion or rollback changes what streams within seconds)."""
    lock = threading.Lock()
    cached: dict[str, Any] = {"at": -ttl_s - 1.0, "rate": None}

    def rate() -> float | None:
        with lock:
            if time.monotonic() - cached["at"] < ttl_s:
                return cached["rate"]
            try:
                live = registry.live_version(db)
                cached["rate"] = rate_in(live.metrics or {}) if live is not None else None
            except Exception as error:  # an unreadable registry streams no text
                log.warning("grounding rate unavailable: %s", type(error).__name__)
                cached["rate"] = None
            cached["at"] = time.monotonic()
            return cached["rate"]

    return rate


def may_stream_text(rate: float | None, minimum: float) -> bool:
    """Text streams only from an answerer whose evaluated pass rate reaches the setting."""
    return rate is not None and rate >= minimum
