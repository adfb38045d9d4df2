"""Watching sources: list a folder or fetch a URL, and tell what changed since the last check."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlparse

import httpx

from knowledge.db.watched_sources import FileState
from knowledge.ingest import SourceFile, read_regular_file, walk

SourceKind = Literal["folder", "http"]

# Formats a URL without a file extension may be served as (Content-Type -> extension).
_EXTENSIONS = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


class SourceError(Exception):
    """The source as a whole could not be read: nothing of it is removed, the error is kept."""


@dataclass(frozen=True)
class Item:
    """One file or URL as seen now; `file` is set when its content must be ingested."""

    state: FileState
    file: SourceFile | None = None


@dataclass
class Scan:
    """What one check of a source found, compared with what was last indexed."""

    to_ingest: list[Item] = field(default_factory=list)
    """New files, and files whose content differs from the indexed version."""
    touched: list[Item] = field(default_factory=list)
    """Metadata changed (mtime, ETag) but the content is what is indexed: only state is saved."""
    unchanged: list[str] = field(default_factory=list)
    """URIs known to be untouched (same size and mtime, or HTTP 304)."""
    removed: list[str] = field(default_factory=list)
    """URIs that disappeared: their documents leave search."""


def classify(location: str) -> tuple[SourceKind, str]:
    """('http', url) or ('folder', absolute path); ValueError says what is wrong."""
    if location.startswith(("http://", "https://")):
        if not urlparse(location).netloc:
            raise ValueError(f"{location!r} is not a valid URL")
        return "http", location
    if "://" in location:
        raise ValueError(f"{location!r}: only folders and http(s) URLs can be watched")
    path = Path(location).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder")
    return "folder", str(path)


def scan_folder(
    root: Path,
    known: Mapping[str, FileState],
    *,
    deep: bool,
    excluded: Collection[str] = frozenset(),
) -> Scan:
    """Compare a folder with the states recorded last time.

    Unless `deep`, a file whose size and mtime are unchanged is not read at all, so a check
    costs a directory listing plus the changed files. `deep` hashes every file. Files whose
    URI is `excluded` are treated as absent (an admin deleted their document).
    """
    if not root.is_dir():
        raise SourceError(
            f"folder {root} is not reachable (unmounted drive?); its documents are kept"
        )
    scan, seen = Scan(), set()
    for path in walk([root]):
        try:
            stat = path.stat()
        except OSError:
            continue  # vanished while listing: the next check sees it gone
        uri = path.resolve().as_uri()
        if uri in excluded:
            continue
        seen.add(uri)
        state = known.get(uri)
        if (
            not deep
            and state is not None
            and (state.size, state.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        ):
            scan.unchanged.append(uri)
            continue
        try:
            digest = hashlib.sha256(read_regular_file(path)).hexdigest()
        except OSError:
            digest = None  # the ingestor reports the read error on the document
        now = FileState(
            uri=uri,
            document_id=state.document_id if state else None,
            content_hash=digest,
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
        )
        if state is not None and digest is not None and digest == state.content_hash:
            scan.touched.append(Item(now))
        else:
            scan.to_ingest.append(Item(now, SourceFile.from_path(path)))
    scan.removed = [uri for uri in known if uri not in seen]
    if known and not seen:
        # An empty folder that had files is far more often an unmounted drive than a
        # deliberate deletion of every policy; removing a source is the way to do that.
        raise SourceError(
            f"folder {root} is empty but {len(known)} documents came from it; nothing was removed"
        )
    return scan


def check_url(
    url: str, known: FileState | None, client: httpx.Client, *, deep: bool, max_bytes: int
) -> Scan:
    """A conditional GET (ETag / Last-Modified) unless `deep`; the body's hash decides."""
    headers: dict[str, str] = {}
    if known is not None and not deep:
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and known is not None:
                return Scan(unchanged=[url])
            if response.status_code in (404, 410) and known is not None:
                return Scan(removed=[url])  # the page was taken down: so is the policy
            if response.status_code != 200:
                raise SourceError(f"{url} answered HTTP {response.status_code}")
            data = _read_limited(response, url, max_bytes)
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot fetch {url}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    state = FileState(
        uri=url,
        document_id=known.document_id if known else None,
        content_hash=digest,
        size=len(data),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )
    if known is not None and known.content_hash == digest:
        return Scan(touched=[Item(state)])
    name = file_name_for(url, response.headers.get("content-type", ""))
    return Scan(to_ingest=[Item(state, SourceFile.from_bytes(name, data, uri=url))])


def _read_limited(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            limit_mb = max_bytes / 1024 / 1024
            raise SourceError(f"{url} is larger than {limit_mb:.0f} MB (HELPBOT_MAX_UPLOAD_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


def file_name_for(url: str, content_type: str) -> str:
    """A file name the parser can use: the URL's last segment, with an extension from the
    Content-Type when the URL has none ('/policies/expenses' + text/html -> expenses.html)."""
    parsed = urlparse(url)
    name = PurePosixPath(unquote(parsed.path)).name or parsed.netloc.split(":")[0]
    if PurePosixPath(name).suffix:
        return name
    mime = content_type.split(";")[0].strip().lower()
    return name + (_EXTENSIONS.get(mime) or mimetypes.guess_extension(mime) or ".html")


def read_url(url: str, client: httpx.Client, max_bytes: int) -> bytes | None:
    """The current body of a URL, or None when it cannot be fetched (used by rebuilds)."""
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                return None
            return _read_limited(response, url, max_bytes)
    except (httpx.HTTPError, SourceError):
        return None
