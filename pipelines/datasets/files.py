"""Dataset files on disk: JSONL splits, the content hash, the manifest, an atomic folder move."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelines.datasets.models import DatasetError

FILES = ("train.jsonl", "validation.jsonl", "test.jsonl", "kto.jsonl")


def jsonl(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One JSON object per line, keys sorted, so equal data gives equal bytes."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()


def content_hash(contents: Mapping[str, bytes]) -> str:
    """sha256 over the example files in a fixed order (the manifest is not part of it)."""
    digest = hashlib.sha256()
    for name in FILES:
        data = contents.get(name, b"")
        digest.update(f"{name}\n{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def write_version(
    root: Path, dataset_id: str, contents: Mapping[str, bytes], manifest: Mapping[str, Any]
) -> Path:
    """Write the files into a temporary folder beside the final one, then rename it into
    place: a crash leaves no half-written version under its id."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / dataset_id
    if final.exists():
        raise FileExistsError(f"dataset folder {final} already exists")
    staging = root / f".building-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for name in FILES:
            (staging / name).write_bytes(contents.get(name, b""))
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        (staging / "manifest.json").write_text(text + "\n", encoding="utf-8")
        for path in staging.iterdir():
            path.chmod(0o444)  # immutable by convention: nobody edits a dataset version
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def read_questions(paths: Sequence[str]) -> list[str]:
    """The `question` of every line of JSONL QA files (the evaluation's held-out questions)."""
    questions: list[str] = []
    for name in paths:
        try:
            lines = Path(name).read_text(encoding="utf-8").splitlines()
            rows = [json.loads(line) for line in lines if line.strip()]
            questions.extend(str(row["question"]) for row in rows)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DatasetError(
                f"Cannot read held-out questions from {name}: {type(error).__name__}: {error}. "
                "Give JSONL files whose lines each have a 'question'."
            ) from error
    return questions
