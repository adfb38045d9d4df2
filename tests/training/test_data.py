"""Reading dataset splits: what the dataset builder writes is accepted, anything broken is
refused with the file, the line and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.training.data import TrainingError, fit_length, load_splits, read_split
from pipelines.training.testing import synthetic_row, write_synthetic_dataset


def test_builder_shaped_rows_are_read_without_their_metadata(tmp_path: Path) -> None:
    folder = write_synthetic_dataset(tmp_path / "ds", train=3, validation=1)

    splits = load_splits(folder)

    assert len(splits.train) == 3 and len(splits.validation) == 1
    row = splits.train[0]
    assert set(row) == {"prompt", "completion"}
    assert [turn["role"] for turn in row["prompt"]] == ["system", "user"]
    assert row["completion"][0]["role"] == "assistant"


def test_a_missing_validation_split_is_empty(tmp_path: Path) -> None:
    folder = write_synthetic_dataset(tmp_path / "ds", train=2, validation=0)
    (folder / "validation.jsonl").unlink()

    assert load_splits(folder).validation == []


def _write(folder: Path, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _row(**changes: object) -> str:
    import random

    row = synthetic_row(random.Random(0))
    row.update(changes)
    return json.dumps(row)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([""], "is empty: nothing to train on"),
        ([_row(), "{not json"], "train.jsonl line 2 is not valid JSON"),
        (["[1, 2]"], "line 1 is not a JSON object"),
        ([_row(prompt=[])], "'prompt' must be a non-empty list"),
        ([_row(completion=[{"role": "user", "content": "x"}])], "'completion' message needs"),
        ([_row(completion=[{"role": "assistant", "content": "  "}])], "completion .* is empty"),
        (
            [_row(prompt=[{"role": "user", "content": "q"}, {"role": "assistant", "content": ""}])],
            "must end with the user's turn",
        ),
    ],
)
def test_broken_datasets_are_refused(tmp_path: Path, lines: list[str], message: str) -> None:
    folder = _write(tmp_path / "ds", lines)

    with pytest.raises(TrainingError, match=message):
        load_splits(folder)


def test_a_folder_that_is_not_a_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="not found"):
        load_splits(tmp_path / "missing")
    with pytest.raises(TrainingError, match=r"has no train\.jsonl"):
        load_splits(tmp_path)


def test_undecodable_bytes_are_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_bytes(b"\xff\xfe\x00garbage")

    with pytest.raises(TrainingError, match=r"cannot read train\.jsonl"):
        read_split(tmp_path / "train.jsonl")


def test_examples_longer_than_max_length_are_skipped_not_cut(
    tmp_path: Path, tokenizer_dir: Path
) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    rows = load_splits(write_synthetic_dataset(tmp_path / "ds", train=4, validation=0)).train
    long_row = {**rows[0], "prompt": [{"role": "user", "content": "word " * 2000}]}

    kept, skipped, tokens = fit_length(tokenizer, [*rows, long_row], max_length=1024)

    assert kept == rows and skipped == 1
    assert 4 * 400 < tokens < 4 * 700  # realistic ~500-token examples
