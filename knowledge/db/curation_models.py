"""SQL tables of curation items, their history, opt-outs and dataset versions."""

from __future__ import annotations

from knowledge.db.models import Base  # noqa: F401
