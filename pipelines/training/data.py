"""Reading a dataset version's splits for training, refusing empty or corrupt files clearly."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"


class TrainingError(RuntimeError):
    """Training could not produce an adapter; the message says why (for the job's error)."""


class TrainingCancelled(TrainingError):
    """Training stopped because the caller asked it to (the job was cancelled)."""


@dataclass(frozen=True)
class Splits:
    """The examples training uses: TRL conversational prompt-completion rows."""

    train: list[dict[str, Any]]
    validation: list[dict[str, Any]]


def _check_turns(value: Any, roles: set[str], where: str, key: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise TrainingError(f"{where}: '{key}' must be a non-empty list of chat messages")
    turns = []
    for turn in value:
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in roles
            or not isinstance(turn.get("content"), str)
        ):
            raise TrainingError(
                f"{where}: every '{key}' message needs a role in {sorted(roles)} and text content"
            )
        turns.append({"role": turn["role"], "content": turn["content"]})
    return turns


def read_split(path: Path) -> list[dict[str, Any]]:
    """The prompt-completion rows of one JSONL split (metadata dropped); a missing file is []."""
    if not path.is_file():
        return []
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TrainingError(f"cannot read {path.name}: {error}") from error
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise TrainingError(f"{where} is not valid JSON ({error.msg})") from error
        if not isinstance(row, dict):
            raise TrainingError(f"{where} is not a JSON object")
        prompt = _check_turns(row.get("prompt"), {"system", "user", "assistant"}, where, "prompt")
        completion = _check_turns(row.get("completion"), {"assistant"}, where, "completion")
        if prompt[-1]["role"] != "user":
            raise TrainingError(f"{where}: the prompt must end with the user's turn")
        if not completion[0]["content"].strip():
            raise TrainingError(f"{where}: the completion (the target answer) is empty")
        rows.append({"prompt": prompt, "completion": completion})
    return rows


def load_splits(dataset_dir: Path) -> Splits:
    """Train and validation rows of a dataset folder; TrainingError when there is nothing to
    train on or a line is corrupt."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise TrainingError(f"dataset folder not found: {dataset_dir}")
    if not (dataset_dir / TRAIN_FILE).is_file():
        raise TrainingError(f"{dataset_dir} has no {TRAIN_FILE}: not a dataset version folder")
    train = read_split(dataset_dir / TRAIN_FILE)
    if not train:
        raise TrainingError(f"{TRAIN_FILE} in {dataset_dir} is empty: nothing to train on")
    return Splits(train=train, validation=read_split(dataset_dir / VALIDATION_FILE))


def example_length(tokenizer: Any, row: dict[str, Any]) -> int:
    """Tokens of the whole example (prompt + answer) under the model's chat template."""
    ids = tokenizer.apply_chat_template(
        row["prompt"] + row["completion"], tokenize=True, return_dict=False
    )
    return len(ids)


def fit_length(
    tokenizer: Any, rows: list[dict[str, Any]], max_length: int
) -> tuple[list[dict[str, Any]], int, int]:
    """(rows no longer than max_length, how many were skipped, their total tokens).

    Longer rows are skipped rather than truncated: truncation would cut the answer, the only
    part the loss is on.
    """
    kept, tokens = [], 0
    for row in rows:
        length = example_length(tokenizer, row)
        if length <= max_length:
            kept.append(row)
            tokens += length
    skipped = len(rows) - len(kept)
    if skipped:
        logger.warning("%d of %d examples over %d tokens skipped", skipped, len(rows), max_length)
    return kept, skipped, tokens
