"""The answer engine: retrieve, prompt, generate, check grounding, cite.

The Slack bot, the console and the CLI call `build_answer_service(services)` and then
`service.answer(question, asker, history)`.
"""

from __future__ import annotations

from pathlib import Path

from knowledge.answering.abstention import AbstentionRule
from knowledge.answering.answer_engine import AnswerEngine, EngineOptions
from knowledge.answering.answer_types import Answer, AnswerService, Asker, Citation, Turn
from knowledge.answering.backends import (
    BackendSpec,
    build_generators,
    engine_options,
    parse_backend,
)
from knowledge.answering.calibration import CalibratedRule, calibrated_rule
from knowledge.answering.prompts import SYSTEM_PROMPT, build_messages, training_example
from knowledge.services import Services

__all__ = [
    "SYSTEM_PROMPT",
    "Answer",
    "AnswerEngine",
    "AnswerService",
    "Asker",
    "Citation",
    "EngineOptions",
    "Turn",
    "build_answer_service",
    "build_messages",
    "engine_calibration",
    "parse_backend",
    "training_example",
]


def build_answer_service(
    services: Services, *, backend: str | None = None, adapter_dir: Path | None = None
) -> AnswerService:
    """The answer engine over `services`' retriever with the configured (or given) backend.

    `backend`: "extractive", "local", "base", "openai" or "adapter:PATH"; None means
    Settings.generator. `adapter_dir` (with "local" or None) replaces Settings.adapter_dir and is
    checked at once: a missing or corrupt folder raises AdapterError. The model itself loads
    on the first question. A model that cannot be built at all (e.g. the shipped model's
    package is missing) does not raise: answers then quote passages with a note.
    """
    settings = services.settings
    spec = parse_backend(backend or settings.generator)
    if adapter_dir is not None:
        if spec.kind not in ("local", "adapter"):
            raise ValueError(f"an adapter needs a local model, not the {spec.kind!r} backend")
        spec = BackendSpec("adapter", adapter_dir)
    generator = build_generators(settings, [spec])[spec.name]
    return AnswerEngine(
        services.retriever,
        generator,
        engine_options(settings),
        calibration=engine_calibration(services),
    )


def engine_calibration(services: Services) -> CalibratedRule | None:
    """The knowledge base's self-calibrated abstention rule for an engine over `services`."""
    settings = services.settings
    fallback = AbstentionRule(
        settings.abstain_below,
        settings.abstain_term_check_below,
        settings.abstain_min_term_coverage,
    )
    return calibrated_rule(
        services.db, settings.data_dir, fallback, enabled=settings.abstain_self_calibrate
    )
