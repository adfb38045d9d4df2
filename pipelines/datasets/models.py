"""What a dataset build takes and returns: options, the built version, and the refusal error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class DatasetError(ValueError):
    """A refused dataset build; the message says why and what would fix it."""


@dataclass(frozen=True)
class DatasetOptions:
    """How a dataset is built. Every field is a plain value, so a job payload can carry it."""

    min_examples: int | None = None
    """Refuse with fewer supervised examples than this; None: the setting
    (HELPBOT_DATASET_MIN_EXAMPLES, default 50)."""
    validation_fraction: float = 0.1
    """Share of question groups in the validation split."""
    test_fraction: float = 0.1
    """Share of question groups in the test split (the evaluation's held-out data)."""
    seed: int = 0
    """Seeds the split, passage placement and balancing: equal seed and items, equal data."""
    prompt_passages: int = 3
    """Passages in each prompt, as the answer engine shows the model (EngineOptions)."""
    include_restricted: bool = False
    """Also use exchanges whose passages came from documents not visible to everyone."""
    include_stale: bool = False
    """Also use answers citing a document version that is no longer served."""
    include_slack: bool | None = None
    """Use Slack conversations (answers people voted on or corrected). None: the admin's
    setting HELPBOT_SLACK_TRAINING_CONSENT (off by default); golden and synthetic items are
    always used."""
    max_per_group: int = 5
    """At most this many items per near-duplicate question group (0: no cap)."""
    max_abstention_share: float = 0.15
    """Abstention targets (unanswerable, refusing corrections, hard negatives) make at most
    this share of each split's supervised examples; hard negatives only fill the room the
    others leave. At 0.3 (really 0.37: refusing corrections were not counted) the month
    benchmark's adapter refused answerable questions on a corpus it never saw (BENCHMARKS.md)."""
    context_chars: int | None = None
    """Compress each prompt's passages to their question-relevant sentences within this many
    characters, as the answer engine does before the model reads them (knowledge.answering.
    context.compress), so the model trains on the prompt it is served. None: the setting
    HELPBOT_CONTEXT_CHARS (default 2000); 0: whole passages."""
    raft_placements: int = 2
    """Answer examples per synthetic item in the train split, its passage at that many
    different positions among the distractors (RAFT positives weighted up: finding and quoting
    the one passage that answers is the skill the engine needs). Validation and test: one."""
    use_embeddings: bool = True
    """Group near-duplicates by embedding similarity too (the knowledge base's embedding model)."""
    names: tuple[str, ...] = ()
    """People's names to scrub (with the names file in settings, if any)."""
    held_out_files: tuple[str, ...] = ()
    """QA files (JSONL with a 'question' per line) used for evaluation: items whose question
    is a near-duplicate of one of theirs stay out (a model is never trained on its test)."""

    def __post_init__(self) -> None:
        if not 0 <= self.validation_fraction < 1 or not 0 <= self.test_fraction < 1:
            raise DatasetError("validation_fraction and test_fraction must be between 0 and 1.")
        if self.validation_fraction + self.test_fraction >= 1:
            raise DatasetError("validation_fraction + test_fraction must leave room for training.")
        if self.prompt_passages < 1:
            raise DatasetError("prompt_passages must be at least 1.")
        if not 0 <= self.max_abstention_share <= 1:
            raise DatasetError("max_abstention_share must be between 0 and 1.")
        if self.raft_placements < 1:
            raise DatasetError("raft_placements must be at least 1.")
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "held_out_files", tuple(self.held_out_files))


@dataclass(frozen=True)
class DatasetVersionInfo:
    """A built dataset version."""

    id: str
    path: Path
    content_hash: str
    counts: dict[str, Any] = field(default_factory=dict)
    created: bool = True
    """False when identical data already existed: that version is returned, nothing written."""
