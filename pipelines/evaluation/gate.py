"""The promotion gate (pure): a candidate's figures against the live answerer's, rule by rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from knowledge.settings import setting_default

QUALITY_METRICS = (
    "key_fact_accuracy",
    "abstention_precision",
    "abstention_recall",
    "grounding_pass_rate",
    "citation_accuracy",
)
"""Higher is better; none may drop more than its tolerance below the live answerer's."""
GAIN_METRICS = ("key_fact_accuracy", "grounding_pass_rate")


@dataclass(frozen=True)
class GateConfig:
    """When a candidate may replace the live answerer (entry points fill it from Settings)."""

    tolerance: float = setting_default("gate_tolerance")
    """How far (absolute, 0..1) any quality metric may fall below the live answerer's."""
    tolerances: Mapping[str, float] = field(default_factory=dict)
    """Per-metric overrides of `tolerance`, e.g. {"abstention_recall": 0.0}."""
    min_gain: float = setting_default("gate_min_gain")
    """Key-fact accuracy or grounding-pass rate must rise by at least this much."""
    max_latency_p95_s: float | None = setting_default("gate_max_latency_p95_s")
    """The candidate's 95th-percentile answer time must stay under this; None: no limit."""


@dataclass(frozen=True)
class RuleResult:
    """One rule of the gate and how the candidate fared."""

    rule: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class GateVerdict:
    """The gate's answer: passed only when every rule passed."""

    passed: bool
    rules: tuple[RuleResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "rules": [asdict(rule) for rule in self.rules]}

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(rule.rule for rule in self.rules if not rule.passed)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def gate(
    candidate: Mapping[str, Any], live: Mapping[str, Any], config: GateConfig | None = None
) -> GateVerdict:
    """Judge `candidate`'s answer figures against `live`'s (both as `answer_scores` gives
    them, plus grounding_pass_rate). A metric missing on either side (None: nothing to
    measure, e.g. grounding for the extractive answerer) cannot fail its no-regression rule
    and cannot count as a gain."""
    config = config or GateConfig()
    rules: list[RuleResult] = []
    for metric in QUALITY_METRICS:
        tolerance = config.tolerances.get(metric, config.tolerance)
        mine, theirs = candidate.get(metric), live.get(metric)
        name = f"no_regression:{metric}"
        if mine is None or theirs is None:
            rules.append(RuleResult(name, True, f"not comparable ({_fmt(mine)} vs {_fmt(theirs)})"))
            continue
        ok = mine >= theirs - tolerance
        rules.append(
            RuleResult(name, ok, f"{_fmt(mine)} vs live {_fmt(theirs)} (tolerance {tolerance})")
        )
    gains = {
        metric: candidate[metric] - live[metric]
        for metric in GAIN_METRICS
        if candidate.get(metric) is not None and live.get(metric) is not None
    }
    best = max(gains.items(), key=lambda kv: kv[1], default=None)
    gained = best is not None and best[1] >= config.min_gain
    detail = (
        "nothing comparable"
        if best is None
        else ", ".join(f"{m} {g:+.3f}" for m, g in gains.items()) + f" (need +{config.min_gain})"
    )
    rules.append(RuleResult("min_gain", gained, detail))
    if config.max_latency_p95_s is not None:
        p95 = float(candidate.get("latency_p95_s") or 0.0)
        rules.append(
            RuleResult(
                "max_latency_p95_s",
                p95 <= config.max_latency_p95_s,
                f"{p95:.2f} s (limit {config.max_latency_p95_s} s)",
            )
        )
    return GateVerdict(all(rule.passed for rule in rules), tuple(rules))
