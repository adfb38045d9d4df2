"""Which answerer may stream text before its check: the registry's grounding-pass rate."""

from __future__ import annotations

import pytest

from bot.trust import live_grounding_rate, may_stream_text, rate_in
from knowledge.db.connection import Database


def test_the_rate_is_found_where_the_evaluation_stores_it() -> None:
    assert rate_in({"grounding_pass_rate": 0.97}) == 0.97
    assert rate_in({"evaluation": {"grounding_pass_rate": 0.5}}) == 0.5
    assert rate_in({"key_fact_accuracy": 0.8}) is None
    assert rate_in({"grounding_pass_rate": True}) is None


@pytest.mark.parametrize(
    ("rate", "allowed"), [(None, False), (0.5, False), (0.95, True), (1.0, True)]
)
def test_text_streams_only_at_or_above_the_setting(rate: float | None, allowed: bool) -> None:
    assert may_stream_text(rate, 0.95) is allowed


def test_an_unevaluated_live_version_streams_no_text(database: Database) -> None:
    from knowledge.db import registry

    registry.ensure_bootstrap(database, base_model="tiny")
    assert live_grounding_rate(database)() is None  # the extractive bootstrap has no rate


def test_an_unreadable_registry_streams_no_text(tmp_path: object) -> None:
    broken = Database("sqlite:////nonexistent-dir/x.db")
    assert live_grounding_rate(broken)() is None
