"""The knowledge-writer lease: one process at a time changes the index (re-index, CLI ingest and
delete), renewed while it works and expiring if its process dies."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from knowledge.db import leases
from knowledge.db.connection import Database
from knowledge.db.document_models import utcnow

log = logging.getLogger(__name__)

WRITER_LEASE = "knowledge-writer"
"""The lease row every index writer takes (re-index runs, CLI and console ingest and delete):
they exclude each other."""
WRITER_TTL = timedelta(minutes=10)
"""Renewed while a write lasts; a crashed process blocks writes for at most this long."""


class WriterBusyError(RuntimeError):
    """Another process holds the writer lease; the message and `.holder` name it."""

    def __init__(self, holder: str) -> None:
        super().__init__(
            f"the knowledge index is being changed by {holder} (a re-index?); "
            "try again when it has finished"
        )
        self.holder = holder


def cli_holder() -> str:
    """Who a command-line process is in the lease row."""
    return f"cli@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@contextmanager
def writer_lease(
    db: Database,
    holder: str,
    *,
    wait_s: float = 0.0,
    poll_s: float = 0.5,
    clock: Callable[[], datetime] = utcnow,
    ttl: timedelta = WRITER_TTL,
) -> Iterator[None]:
    """Hold the writer lease for the block, waiting up to `wait_s` for it; WriterBusyError
    (naming the holder) if it stays taken. Renewed in the background while the block runs."""
    deadline = time.monotonic() + wait_s
    while not leases.acquire_lease(db, WRITER_LEASE, holder, now=clock(), ttl=ttl):
        if time.monotonic() >= deadline:
            with db.session() as session:
                lease = leases.current_lease(session, WRITER_LEASE, now=clock())
                other = lease.holder if lease else "another process"
            raise WriterBusyError(other)
        time.sleep(poll_s)
    stop = threading.Event()

    def keep_alive() -> None:
        while not stop.wait(ttl.total_seconds() / 3):
            leases.acquire_lease(db, WRITER_LEASE, holder, now=clock(), ttl=ttl)

    renewer = threading.Thread(target=keep_alive, name="writer-lease", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        leases.release_lease(db, WRITER_LEASE, holder, now=clock())
