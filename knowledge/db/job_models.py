"""SQL tables of the job queue: jobs, workers, per-step metrics and logs."""

from __future__ import annotations

from knowledge.db.models import Base  # noqa: F401
