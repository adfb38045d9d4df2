"""The `helpbot` command line: the composition root that wires every layer together."""

from __future__ import annotations

from helpbot.app import app
from helpbot.commands import admin as admin_commands  # noqa: F401 - registers `helpbot admin`
from helpbot.commands import answers, evaluate, freshness, knowledge, notifications, runtime
from helpbot.commands import curation as curation_commands  # noqa: F401 - `curate`, `dataset`
from helpbot.commands import data as data_commands  # noqa: F401 - registers `helpbot data`
from helpbot.commands import jobs as jobs_commands  # noqa: F401 - registers `helpbot jobs`, `worker`
from helpbot.commands import models as models_commands  # noqa: F401 - `helpbot models`

__all__ = [
    "answers",
    "app",
    "evaluate",
    "freshness",
    "knowledge",
    "main",
    "notifications",
    "runtime",
]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
