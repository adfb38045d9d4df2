"""The sample employee handbook and QA set shipped with helpbot, and where their files lie."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
HANDBOOK_DIR = SAMPLE_DIR / "handbook"
"""The handbook `make run` ingests (16 documents in four formats)."""
UPDATES_DIR = SAMPLE_DIR / "updates"
"""Newer versions of some handbook files, for re-index tests."""
QA_PATH = SAMPLE_DIR / "handbook_qa.jsonl"
HOLDOUT_PATH = SAMPLE_DIR / "abstention_holdout.jsonl"
"""Questions kept out of abstention tuning; unlike QA_PATH, it need not cover every document
or the files in updates/."""
