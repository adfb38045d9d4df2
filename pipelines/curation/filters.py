"""Which curation items may be trained on (pure): ACL-safe, not stale, not opted out."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EVERYONE = "everyone"
REASONS = ("opted_out", "acl", "stale")


@dataclass(frozen=True)
class ServedDocument:
    """What the registry says about a document now."""

    audiences: tuple[str, ...]
    live_version: int | None
    """The version answers are served from; None when nothing is (deleted, failed)."""
    status: str = "active"

    @property
    def public(self) -> bool:
        return EVERYONE in self.audiences


def acl_problem(
    passages: Sequence[Mapping[str, Any]], documents: Mapping[str, ServedDocument]
) -> str | None:
    """Why an item is not ACL-safe, or None: every passage the model saw must come from a
    document whose audience is everyone (an unknown document is not safe)."""
    for passage in passages:
        doc_id = str(passage.get("document_id", ""))
        document = documents.get(doc_id)
        if document is None:
            return f"passage from an unknown document {doc_id!r}"
        if not document.public:
            return f"passage from {doc_id!r}, visible only to {', '.join(document.audiences)}"
    return None


def stale_problem(
    cited: Sequence[Mapping[str, Any]], documents: Mapping[str, ServedDocument]
) -> str | None:
    """Why an item's answer is stale, or None: each cited document version must still be the
    one served (training on an old policy teaches the old value)."""
    for source in cited:
        doc_id = str(source.get("document_id", ""))
        version = source.get("version")
        document = documents.get(doc_id)
        if document is None or document.live_version is None or document.status == "deleted":
            return f"{doc_id!r} is no longer served"
        if version is None:
            continue
        try:
            number = int(version)
        except (TypeError, ValueError):
            return f"{doc_id!r} is cited with an unreadable version {version!r}"
        if number != document.live_version:
            return f"{doc_id!r} version {version} was replaced by version {document.live_version}"
    return None


def exclusion(
    *,
    asker_id: str | None,
    passages: Sequence[Mapping[str, Any]],
    cited: Sequence[Mapping[str, Any]],
    documents: Mapping[str, ServedDocument],
    opted_out: Collection[str],
    allow_restricted: bool = False,
    allow_stale: bool = False,
) -> tuple[str, str] | None:
    """(reason, detail) why an item stays out of a dataset, or None when it may go in.

    Reasons, checked in this order: 'opted_out', 'acl', 'stale'.
    """
    if asker_id and asker_id in opted_out:
        return "opted_out", "the asker opted out of training"
    if not allow_restricted and (problem := acl_problem(passages, documents)):
        return "acl", problem
    if not allow_stale and (problem := stale_problem(cited, documents)):
        return "stale", problem
    return None
