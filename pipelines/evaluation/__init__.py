"""Evaluation of model versions (candidate vs live vs base) and the promotion gate."""

from __future__ import annotations

from pipelines.evaluation.evaluate import EvaluationError, evaluate_candidate, gate_config
from pipelines.evaluation.gate import GateConfig, GateVerdict, RuleResult, gate
from pipelines.evaluation.report import EvaluationReport

__all__ = [
    "EvaluationError",
    "EvaluationReport",
    "GateConfig",
    "GateVerdict",
    "RuleResult",
    "evaluate_candidate",
    "gate",
    "gate_config",
]
