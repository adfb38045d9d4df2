"""Shared benchmark pieces: synthetic policy-like text, percentiles, memory and JSON output."""

from __future__ import annotations

import json
import random
import re
import resource
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HANDBOOK = REPO / "knowledge" / "sample" / "handbook"
QA_FILE = REPO / "knowledge" / "sample" / "handbook_qa.jsonl"


def vocabulary() -> list[str]:
    """Words of the sample handbook's Markdown files, so synthetic text looks like policy."""
    words: set[str] = set()
    for path in HANDBOOK.glob("*.md"):
        words.update(re.findall(r"[A-Za-z][a-z]{2,}", path.read_text(encoding="utf-8")))
    return sorted(words)


def sentence(rng: random.Random, words: Sequence[str], n: int = 14) -> str:
    body = " ".join(rng.choice(words) for _ in range(n))
    return body[0].upper() + body[1:] + f" within {rng.randint(2, 90)} days."


def markdown_document(rng: random.Random, words: Sequence[str], index: int, sections: int) -> str:
    """A policy-shaped Markdown file: title, a few headed sections of a paragraph each."""
    parts = [f"# Policy {index}: {rng.choice(words)} {rng.choice(words)}\n"]
    for s in range(sections):
        parts.append(f"## Section {s + 1}: {rng.choice(words)}\n")
        parts.append(" ".join(sentence(rng, words) for _ in range(6)) + "\n")
    return "\n".join(parts)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 2),
        "n": len(seconds),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(result: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(result, indent=2)
    sys.stdout.write(text + "\n")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
