"""The promotion gate as a table of cases: each rule passes or fails for the stated reason."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.evaluation.gate import GateConfig, gate

LIVE: dict[str, Any] = {
    "key_fact_accuracy": 0.60,
    "abstention_precision": 0.80,
    "abstention_recall": 0.50,
    "grounding_pass_rate": 0.20,
    "citation_accuracy": 0.90,
    "latency_p95_s": 4.0,
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**LIVE, **changes}


@pytest.mark.parametrize(
    ("candidate", "passed", "failed"),
    [
        (_with(key_fact_accuracy=0.70), True, ()),
        (_with(grounding_pass_rate=0.60), True, ()),
        (_with(), False, ("min_gain",)),
        (_with(key_fact_accuracy=0.61), False, ("min_gain",)),
        (
            _with(key_fact_accuracy=0.70, abstention_recall=0.40),
            False,
            ("no_regression:abstention_recall",),
        ),
        (_with(key_fact_accuracy=0.70, citation_accuracy=0.89), True, ()),  # within tolerance
        (
            _with(key_fact_accuracy=0.50, grounding_pass_rate=0.90),
            False,
            ("no_regression:key_fact_accuracy",),
        ),
    ],
)
def test_rules(candidate: dict[str, Any], passed: bool, failed: tuple[str, ...]) -> None:
    verdict = gate(candidate, LIVE)

    assert verdict.passed is passed
    assert verdict.failed == failed
    assert len(verdict.rules) == 6  # five no-regression rules and the gain


def test_metrics_the_live_answerer_lacks_cannot_fail_or_count_as_gain() -> None:
    extractive = _with(grounding_pass_rate=None)

    verdict = gate(_with(grounding_pass_rate=0.9), extractive)

    rule = next(r for r in verdict.rules if r.rule == "no_regression:grounding_pass_rate")
    assert rule.passed and "not comparable" in rule.detail
    assert verdict.failed == ("min_gain",)  # only key facts could show a gain, and did not


def test_per_metric_tolerance_latency_limit_and_json() -> None:
    config = GateConfig(tolerances={"abstention_recall": 0.2}, min_gain=0.05, max_latency_p95_s=3.0)

    verdict = gate(_with(key_fact_accuracy=0.70, abstention_recall=0.35), LIVE, config)

    assert verdict.failed == ("max_latency_p95_s",)
    data = verdict.to_json()
    assert data["passed"] is False
    assert {"rule": "max_latency_p95_s", "passed": False, "detail": "4.00 s (limit 3.0 s)"} in data[
        "rules"
    ]
