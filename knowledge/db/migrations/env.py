"""Alembic environment: migrates the engine handed over by helpbot (or the configured URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import knowledge.db.scheduler_models  # noqa: F401 - registers the scheduler's tables
from knowledge.db import (  # noqa: F401 - each import registers its tables
    admin_models,
    conversation_models,
    curation_models,
    job_models,
    production_models,
    registry_models,
)
from knowledge.db.document_models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url") or ""
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
