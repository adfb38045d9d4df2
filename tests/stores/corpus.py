"""The chunks the store contract tests write: five passages of four documents, two audiences."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from knowledge.stores.base import ChunkRecord

DIMENSION = 8


def unit(*weights: float) -> tuple[float, ...]:
    padded = list(weights) + [0.0] * (DIMENSION - len(weights))
    norm = math.sqrt(sum(w * w for w in padded))
    return tuple(w / norm for w in padded)


def make(
    document_id: str,
    index: int,
    text: str,
    vector: tuple[float, ...],
    *,
    version: int = 1,
    audiences: tuple[str, ...] = ("everyone",),
    status: str = "active",
) -> ChunkRecord:
    return ChunkRecord(
        document_id=document_id,
        version=version,
        chunk_index=index,
        text=text,
        title=f"{document_id} policy",
        heading_path=(f"{document_id} policy", "Details"),
        source_uri=f"file:///handbook/{document_id}.md",
        audiences=audiences,
        review_by=date(2027, 3, 31),
        status=status,
        vector=vector,
    )


CORPUS = [
    make("leave", 0, "Parental leave is sixteen weeks at full pay.", unit(1, 0, 0)),
    make("leave", 1, "Sick leave needs a doctor's note after three days.", unit(1, 1, 0)),
    make("expenses", 0, "Coworking desks are reimbursed up to EUR 150 a month.", unit(0, 1, 0)),
    make("travel", 0, "Book flights through the travel desk; economy class.", unit(0, 0, 1)),
    make(
        "managers",
        0,
        "Salary bands are reviewed every April by managers.",
        unit(0, 0, 0, 1),
        audiences=("managers",),
    ),
]


def ids(hits: list[Any]) -> list[str]:
    return [hit.chunk.id for hit in hits]
