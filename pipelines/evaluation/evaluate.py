"""Evaluating a registered version: candidate vs live vs base on every question source, gated.

`evaluate_candidate` asks each distinct answerer every question (the test split of the
version's dataset, the approved golden set, the configured QA files), scores them with the
one answer-metric implementation, runs the gate against the live answerer and stores the
report. The bootstrap evaluation (the base model while the extractive answerer is live) also
promotes the base model when it passes the gate: what serves is chosen by measurement.
A candidate that cannot be loaded (corrupt adapter, other base model) is marked
failed with the reason; the live answerer is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from knowledge.answering.answer_quality import answer_json, thread_of
from knowledge.answering.answer_types import AnswerService, Asker
from knowledge.db import curation, registry
from knowledge.generation.base import GenerationError
from knowledge.generation.live import VersionEngines
from knowledge.qa_harness import QAItem
from knowledge.services import Services
from pipelines.evaluation.gate import GateConfig, gate
from pipelines.evaluation.questions import golden_items, qa_file, test_split
from pipelines.evaluation.report import ALL, EvaluationReport, tabulate, wins_and_losses

logger = logging.getLogger(__name__)


class EvaluationError(RuntimeError):
    """The evaluation could not run; the message says why (the version is marked failed when
    the fault is its own)."""


def gate_config(settings: Any) -> GateConfig:
    """The gate's thresholds from Settings (called by entry points and the worker)."""
    return GateConfig(
        tolerance=settings.gate_tolerance,
        min_gain=settings.gate_min_gain,
        max_latency_p95_s=settings.gate_max_latency_p95_s,
    )


def question_sets(
    services: Services, version: registry.VersionInfo, qa_files: Sequence[Path]
) -> dict[str, list[QAItem]]:
    """source name -> its questions (ids prefixed so sources never collide)."""
    sets: dict[str, list[QAItem]] = {}
    if version.dataset_version_id:
        folder = services.settings.data_dir / "datasets" / version.dataset_version_id
        if (folder / "test.jsonl").is_file():
            sets["test"] = test_split(folder)
        else:
            logger.warning("dataset %s has no test split; skipped", version.dataset_version_id)
    with services.db.session() as session:
        rows = curation.list_items(session, state="approved", source="golden", limit=100_000)
        golden = golden_items(rows)
    if golden:
        sets["golden"] = golden
    for path in [*services.settings.eval_qa_files, *qa_files]:
        name = Path(path).stem
        sets[name] = [replace(item, id=f"{name}:{item.id}") for item in qa_file(Path(path))]
    return sets


def evaluate_candidate(
    services: Services,
    version_id: str,
    *,
    qa_files: Sequence[Path] = (),
    created_by: str = "worker",
    config: GateConfig | None = None,
    engines: VersionEngines | None = None,
    on_answer: Callable[[], None] | None = None,
) -> EvaluationReport:
    """Evaluate `version_id` against the live answerer and the base model; store the report.

    Raises EvaluationError when there is nothing to evaluate on or the candidate cannot be
    loaded (it is then marked failed), registry.RegistryError for an unknown version.
    """
    db = services.db
    candidate = registry.get_version(db, version_id)
    live = registry.live_version(db)
    base = registry.get_version(db, registry.BASE_ID)
    sets = question_sets(services, candidate, qa_files)
    if not any(sets.values()):
        raise EvaluationError(
            f"nothing to evaluate {version_id} on: its dataset has no test split, no golden "
            "pair is approved and no QA file is configured (HELPBOT_EVAL_QA_FILES)"
        )
    if candidate.kind == "adapter" and not registry.same_base(
        candidate.base_model, base.base_model
    ):
        reason = f"trained on {candidate.base_model!r}, but answers run on {base.base_model!r}"
        registry.mark_failed(db, version_id, reason)
        raise EvaluationError(f"{version_id} cannot be evaluated: {reason}")
    engines = engines or VersionEngines(services)
    roles = {"candidate": candidate, "live": live or base, "base": base}
    registry.mark_evaluating(db, version_id)
    try:
        answerers = {role: engines.engine_for(version) for role, version in roles.items()}
    except GenerationError as error:
        registry.mark_failed(db, version_id, str(error))
        raise EvaluationError(f"{version_id} cannot be loaded: {error}") from error
    try:
        report = _run(sets, answerers, roles, config or gate_config(services.settings), on_answer)
    except Exception as error:
        registry.mark_failed(db, version_id, f"evaluation crashed: {type(error).__name__}: {error}")
        raise
    report_id = registry.save_report(
        db,
        version_id,
        live_version_id=report.live_version_id,
        passed=report.passed,
        report=report.to_json(),
        created_by=created_by,
    )
    logger.info("evaluated %s: gate %s", version_id, "passed" if report.passed else "failed")
    promoted = _bootstrap_promotion(db, candidate, live, report.passed)
    return replace(report, report_id=report_id, promoted=promoted)


BOOTSTRAP_ACTOR = "bootstrap-evaluation"


def _bootstrap_promotion(
    db: Any, candidate: registry.VersionInfo, live: registry.VersionInfo | None, passed: bool
) -> bool:
    """The base model replaces the extractive answerer on its first passing evaluation."""
    if not passed or candidate.kind != "base" or live is None or live.kind != "extractive":
        return False
    registry.promote(db, candidate.id, actor=BOOTSTRAP_ACTOR)
    return True


def _run(
    sets: dict[str, list[QAItem]],
    answerers: Mapping[str, AnswerService],
    roles: dict[str, registry.VersionInfo],
    config: GateConfig,
    on_answer: Callable[[], None] | None,
) -> EvaluationReport:
    # Each distinct version answers once; roles sharing a version share its answers.
    distinct: dict[str, AnswerService] = {}
    for role, version in roles.items():
        distinct.setdefault(version.id, answerers[role])
    rows: dict[str, dict[str, list[Any]]] = {}
    per_question: dict[str, dict[str, Any]] = {}
    for source, items in sets.items():
        by_version: dict[str, list[Any]] = {vid: [] for vid in distinct}
        for item in items:
            asker = Asker(user_id=f"eval:{item.id}", audiences=item.audiences)
            per_question[item.id] = {}
            for vid, service in distinct.items():
                answer = service.answer(item.question, asker, thread_of(item, service, asker))
                by_version[vid].append((item, answer))
                per_question[item.id][vid] = answer_json(item, answer)
                if on_answer:
                    on_answer()
        rows[source] = {role: by_version[version.id] for role, version in roles.items()}
    has_model = {role: version.kind != "extractive" for role, version in roles.items()}
    table = tabulate(rows, has_model)
    verdict = gate(table[ALL]["candidate"], table[ALL]["live"], config)
    every = {role: [r for by_role in rows.values() for r in by_role[role]] for role in roles}
    wins, losses = {}, {}
    for other in ("live", "base"):
        wins[f"vs_{other}"], losses[f"vs_{other}"] = wins_and_losses(
            every["candidate"], every[other]
        )
    return EvaluationReport(
        version_id=roles["candidate"].id,
        live_version_id=roles["live"].id,
        base_version_id=roles["base"].id,
        passed=verdict.passed,
        gate=verdict.to_json(),
        figures=table,
        wins=wins,
        losses=losses,
        questions={source: len(items) for source, items in sets.items()},
        answerers={role: version.id for role, version in roles.items()},
        per_question=per_question,
    )
