"""Evaluation figures (pure): per answerer and question source, wins and losses, the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from knowledge.answering.answer_quality import Row, answer_scores, judge
from pipelines.evaluation.questions import UNKNOWN_SOURCE

ALL = "all"
"""The figures over every source together (what the gate judges)."""


@dataclass(frozen=True)
class EvaluationReport:
    """A candidate against the live answerer and the base model, as stored in the registry."""

    version_id: str
    live_version_id: str | None
    base_version_id: str | None
    passed: bool
    """The gate's verdict."""
    gate: dict[str, Any]
    """{"passed": bool, "rules": [{"rule", "passed", "detail"}]}."""
    figures: dict[str, dict[str, dict[str, Any]]]
    """source ("all", "test", "golden", a QA file's name) -> answerer -> answer figures."""
    wins: dict[str, list[str]]
    """"vs_live" / "vs_base" -> ids of questions the candidate passed and the other failed."""
    losses: dict[str, list[str]]
    """The other way round: questions the candidate failed and the other passed."""
    questions: dict[str, int]
    """Questions per source."""
    answerers: dict[str, str]
    """"candidate" / "live" / "base" -> registry version id."""
    per_question: dict[str, dict[str, Any]] = field(default_factory=dict)
    """question id -> answerer -> its answer as `answer_json` shows it."""
    report_id: int | None = None
    promoted: bool = False
    """Whether this evaluation made the candidate live (the bootstrap evaluation only)."""

    @property
    def summary(self) -> dict[str, Any]:
        """The candidate's figures over every source."""
        return self.figures.get(ALL, {}).get("candidate", {})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = self.summary
        return data


def figures(rows: Sequence[Row], *, has_model: bool) -> dict[str, Any]:
    """`answer_scores` plus grounding_pass_rate (the share of the model's answers that survived
    the grounding check; None for the extractive answerer) and citation accuracy counted only
    on questions whose expected source is known."""
    scores = answer_scores(rows)
    failure = scores.get("grounding_failure_rate")
    scores["grounding_pass_rate"] = (
        round(1.0 - failure, 4) if has_model and failure is not None else None
    )
    known = [(item, answer) for item, answer in rows if UNKNOWN_SOURCE not in item.expected_sources]
    scores["citation_accuracy"] = answer_scores(known)["citation_accuracy"] if known else None
    return scores


def wins_and_losses(mine: Sequence[Row], theirs: Sequence[Row]) -> tuple[list[str], list[str]]:
    """Question ids the first answerer passed and the second failed, and the other way round."""
    wins, losses = [], []
    for (item, answer), (_, other) in zip(mine, theirs, strict=True):
        passed, other_passed = judge(item, answer).passed, judge(item, other).passed
        if passed and not other_passed:
            wins.append(item.id)
        elif other_passed and not passed:
            losses.append(item.id)
    return wins, losses


def tabulate(
    rows: Mapping[str, Mapping[str, Sequence[Row]]], has_model: Mapping[str, bool]
) -> dict[str, dict[str, dict[str, Any]]]:
    """source -> answerer -> figures, plus "all" over every source."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    everything: dict[str, list[Row]] = {}
    for source, by_answerer in rows.items():
        table[source] = {}
        for name, answer_rows in by_answerer.items():
            table[source][name] = figures(answer_rows, has_model=has_model[name])
            everything.setdefault(name, []).extend(answer_rows)
    table[ALL] = {
        name: figures(answer_rows, has_model=has_model[name])
        for name, answer_rows in everything.items()
    }
    return table
