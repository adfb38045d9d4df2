"""Splitting and balancing (pure): whole question groups per split, group caps, abstention share."""

from __future__ import annotations

import hashlib
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
SPLITS = ("train", "validation", "test")


def assign_splits(
    group_keys: Sequence[str], *, validation: float, test: float, seed: int
) -> dict[str, str]:
    """Split name per group key: groups ordered by a seeded hash, the first share to test,
    the next to validation, the rest to train. With three groups or more, validation and test
    get at least one group each; a group never straddles two splits."""
    unique = sorted(set(group_keys), key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).digest())
    count = len(unique)
    n_test = math.ceil(count * test) if test > 0 else 0
    n_val = math.ceil(count * validation) if validation > 0 else 0
    if count < 3:
        n_test = n_val = 0
    out: dict[str, str] = {}
    for i, group in enumerate(unique):
        out[group] = "test" if i < n_test else "validation" if i < n_test + n_val else "train"
    return out


def cap_groups(items: Sequence[T], groups: Sequence[str], limit: int) -> list[T]:
    """At most `limit` items per group (the first ones), so a popular question does not
    dominate; 0 means no cap."""
    if limit <= 0:
        return list(items)
    seen: dict[str, int] = defaultdict(int)
    out = []
    for item, group in zip(items, groups, strict=True):
        seen[group] += 1
        if seen[group] <= limit:
            out.append(item)
    return out


def balance_abstention(
    answers: Sequence[T],
    abstentions: Sequence[T],
    *,
    max_share: float,
    seed: int,
    fill: Sequence[T] = (),
) -> list[T]:
    """Abstentions dropped at random until they are at most `max_share` of the examples
    (the first LoRA run refused half of the answerable questions after rigid targets).

    `fill` (hard negatives) only takes the room the `abstentions` (questions the documents do
    not answer) leave: both teach refusing, and refusing an answerable question is the costlier
    mistake, so the real ones go first."""
    if max_share >= 1.0:
        return [*answers, *abstentions, *fill]
    allowed = int(max_share * len(answers) / (1.0 - max_share)) if max_share > 0 else 0
    rng = random.Random(seed)
    kept = list(abstentions)
    if len(kept) > allowed:
        kept = rng.sample(kept, allowed)
    room = allowed - len(kept)
    extra = list(fill) if len(fill) <= room else rng.sample(list(fill), room)
    return [*answers, *kept, *extra]
