"""Fault injection and call accounting shared by the fake's REST and gRPC handlers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable


class Faults:
    """Switches a test flips to make the fake misbehave, and what the fake saw.

    - `latency_s`: every request waits this long before it is handled (a slow server).
    - `fail_next(n)`: the next n requests answer a transient error (REST 503, gRPC UNAVAILABLE).
    - `crash_after_objects(n)`: batches store n more objects, then the server dies in the
      middle of a batch (it stops listening on both ports, as a crashed process would).
    - `calls`: requests per endpoint; `handler_seconds`: time spent inside handlers, which
      benchmarks subtract to isolate client-side cost.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency_s = 0.0
        self._fail_remaining = 0
        self.crash_after: int | None = None
        self.calls: Counter[str] = Counter()
        self.handler_seconds = 0.0
        self.wake = threading.Event()
        self.on_crash: Callable[[], None] = lambda: None

    def fail_next(self, requests: int) -> None:
        with self._lock:
            self._fail_remaining = requests

    def crash_after_objects(self, objects: int) -> None:
        self.crash_after = objects

    def reset(self) -> None:
        with self._lock:
            self.latency_s = 0.0
            self._fail_remaining = 0
            self.crash_after = None

    def reset_stats(self) -> None:
        with self._lock:
            self.calls.clear()
            self.handler_seconds = 0.0

    def enter(self, endpoint: str) -> bool:
        """Count the call and apply latency; True when this call must fail transiently."""
        with self._lock:
            self.calls[endpoint] += 1
            failing = self._fail_remaining > 0
            if failing:
                self._fail_remaining -= 1
        if self.latency_s > 0:
            # Wakes early when the server stops, so a stop never waits for a slow handler.
            self.wake.wait(self.latency_s)
        return failing

    def object_arrives(self) -> bool:
        """Called per object a batch stores; True (and the server dies) once the budget set by
        `crash_after_objects` is spent."""
        with self._lock:
            if self.crash_after is None:
                return False
            if self.crash_after > 0:
                self.crash_after -= 1
                return False
            self.crash_after = None
        self.on_crash()
        return True

    def add_handler_time(self, seconds: float) -> None:
        with self._lock:
            self.handler_seconds += seconds


class Timer:
    """Adds the time spent in a `with` block to `Faults.handler_seconds`."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._start = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._faults.add_handler_time(time.perf_counter() - self._start)
