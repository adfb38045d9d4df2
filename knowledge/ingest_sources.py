"""Where ingestion reads from: source files, safe reads of regular files, and folder walks."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

READ_ATTEMPTS = 3


@dataclass(frozen=True)
class SourceFile:
    """Something to ingest: where it comes from, its name, its size, and how to read it."""

    uri: str
    name: str
    size: int
    read: Callable[[], bytes]

    @classmethod
    def from_path(cls, path: Path) -> SourceFile:
        resolved = path.resolve()
        return cls(
            uri=resolved.as_uri(),
            name=path.name,
            size=resolved.stat().st_size,
            read=lambda: read_regular_file(resolved),
        )

    @classmethod
    def from_bytes(cls, name: str, data: bytes, uri: str | None = None) -> SourceFile:
        return cls(uri=uri or f"upload://{name}", name=name, size=len(data), read=lambda: data)


def read_regular_file(path: Path) -> bytes:
    """A regular file's bytes, never through a symbolic link (O_NOFOLLOW: a file swapped for a
    link after it was listed is refused) and never torn: a file rewritten or replaced while it
    was read is read again, and refused if it keeps changing."""
    for _ in range(READ_ATTEMPTS):
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            before = os.fstat(handle.fileno())
            if not stat.S_ISREG(before.st_mode):
                raise OSError(f"{path.name} is not a regular file")
            data = handle.read()
            after = os.fstat(handle.fileno())
        current = os.stat(path, follow_symlinks=False)
        same = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
        if same and len(data) == after.st_size and current.st_ino == after.st_ino:
            return data
    raise OSError(f"{path.name} kept changing while it was read; the next check reads it again")


def walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given files and folders, in a stable order, skipping hidden ones and
    symbolic links inside folders (a link named policy.md may point at a secret anywhere;
    link loops are never entered). A path named explicitly is taken as given."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if any(p.startswith((".", "_")) for p in relative):
                    continue
                if child.is_symlink():
                    log.warning("skipped a symbolic link in %s", path)
                    continue
                if child.is_file():
                    yield child
        else:
            yield path
