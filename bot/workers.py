"""Thread pools that count their work: acks never wait on answers, and tests can drain them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from knowledge.observability import QUEUE_DEPTH

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)


class CountingExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor that knows how many tasks are queued or running."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.workers = max_workers
        self._busy = 0
        self._depth = QUEUE_DEPTH.labels(pool=thread_name_prefix)
        self._changed = threading.Condition()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._changed:
            self._busy += 1
            self._depth.set(self._busy)
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: object) -> None:
        with self._changed:
            self._busy -= 1
            self._depth.set(self._busy)
            self._changed.notify_all()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking new work. Work already queued still runs, even if asked to cancel it:
        a queued question was acknowledged and shows a placeholder that only its answer (or
        an error reply with a reference) replaces."""
        if cancel_futures and self.waiting:
            log.info("finishing %d queued tasks before stopping", self.waiting)
        super().shutdown(wait=wait, cancel_futures=False)

    @property
    def busy(self) -> int:
        """Tasks queued or running."""
        with self._changed:
            return self._busy

    @property
    def waiting(self) -> int:
        """Tasks queued behind the running ones."""
        return max(0, self.busy - self.workers)

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout)
