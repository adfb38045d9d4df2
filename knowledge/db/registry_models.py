"""SQL tables of the model registry: answerer versions, evaluation reports and promotions."""

from __future__ import annotations

from knowledge.db.models import Base  # noqa: F401
