"""SQL tables of console admin users and failed-login throttling."""

from __future__ import annotations

from knowledge.db.models import Base  # noqa: F401
