"""Building a dataset version: approved items -> filtered, scrubbed, grouped, split, written."""

from __future__ import annotations

import dataclasses
import logging
import random
import re
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy.orm import Session

from knowledge.db import curation
from knowledge.db import documents as registry
from knowledge.db.curation_models import CurationItem
from knowledge.services import Services
from pipelines.curation.dedupe import group_near_duplicates
from pipelines.curation.filters import ServedDocument, exclusion
from pipelines.curation.pii import scrub
from pipelines.datasets.examples import Example, ItemData, item_examples
from pipelines.datasets.files import (
    read_questions,
)
from pipelines.datasets.models import DatasetError, DatasetOptions, DatasetVersionInfo
from pipelines.datasets.split import SPLITS, assign_splits, balance_abstention, cap_groups
from pipelines.datasets.version import write_dataset

log = logging.getLogger(__name__)
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def build_dataset(
    services: Services, *, built_by: str, options: DatasetOptions | None = None
) -> DatasetVersionInfo:
    """Build an immutable dataset version from the approved curation items.

    Raises DatasetError, saying what would fix it, when too few examples remain.
    """
    options = options or DatasetOptions()
    settings = services.settings
    minimum = (
        settings.dataset_min_examples if options.min_examples is None else options.min_examples
    )
    with services.db.session() as session:
        curation.sync_exchanges(session)
        rows = curation.approved_items(session)
        served = _served_documents(session)
        opted_out = curation.opted_out_users(session)
        approved = len(rows)
        if not _slack_allowed(options, settings):
            rows = [r for r in rows if r.source != "exchange"]
        items, excluded = _usable_items(rows, served, opted_out, options)
        excluded["slack_consent_off"] = approved - len(rows)
    items = _with_passages(services, items, options, excluded)
    groups, held_out = _groups(services, items, options)
    excluded["held_out"] = len(held_out)
    items = [i for i in items if i.id not in held_out]
    before = len(items)
    items = cap_groups(items, [groups[i.id] for i in items], options.max_per_group)
    excluded["group_cap"] = before - len(items)
    split_of = assign_splits(
        [groups[i.id] for i in items],
        validation=options.validation_fraction,
        test=options.test_fraction,
        seed=options.seed,
    )
    rng = random.Random(options.seed)
    by_split: dict[str, list[Example]] = defaultdict(list)
    kto: list[Example] = []
    for item in items:
        split = split_of[groups[item.id]]
        # Extra placements weight training only: validation and test ask each question once.
        placements = options.raft_placements if split == "train" else 1
        examples = item_examples(item, k=options.prompt_passages, rng=rng, placements=placements)
        for example in examples:
            if example.label is not None:
                if split == "train":
                    kto.append(example)
            else:
                by_split[split].append(example)
    for split in SPLITS:
        sft = by_split[split]
        by_split[split] = balance_abstention(
            [e for e in sft if not e.abstains],
            [e for e in sft if e.abstains and e.variant != "hard_negative"],
            max_share=options.max_abstention_share,
            seed=options.seed,
            fill=[e for e in sft if e.variant == "hard_negative"],
        )
    total = sum(len(v) for v in by_split.values())
    if total < minimum:
        raise DatasetError(_too_few(total, minimum, approved, excluded))
    return write_dataset(services, built_by, options, items, groups, by_split, kto, excluded)


def _slack_allowed(options: DatasetOptions, settings: Any) -> bool:
    """Slack conversations train only once an admin has turned that on (issue: Slack's terms)."""
    if options.include_slack is not None:
        return options.include_slack
    return bool(settings.slack_training_consent)


def _served_documents(session: Session) -> dict[str, ServedDocument]:
    return {
        d.id: ServedDocument(tuple(d.audiences or ()), d.live_version, d.status)
        for d in registry.list_all(session, include_deleted=True)
    }


def _usable_items(
    rows: list[CurationItem],
    served: dict[str, ServedDocument],
    opted_out: set[str],
    options: DatasetOptions,
) -> tuple[list[ItemData], Counter[str]]:
    items: list[ItemData] = []
    excluded: Counter[str] = Counter()
    for row in rows:
        passages = list(row.passages or [])
        if row.source == "exchange":
            cited = list(row.citations or [])
        elif row.source == "golden" or not row.answerable:
            cited = []  # golden passages are retrieved at build time; abstentions cite nothing
        else:
            cited = [
                {"document_id": p.get("document_id"), "version": p.get("version")}
                for p in passages[:1]
            ]
        verdict = exclusion(
            asker_id=row.asker_id,
            passages=passages,
            cited=cited,
            documents=served,
            opted_out=opted_out,
            allow_restricted=options.include_restricted,
            allow_stale=options.include_stale,
        )
        if verdict is not None:
            excluded[verdict[0]] += 1
            continue
        items.append(
            ItemData(
                id=row.id,
                source=row.source,
                kind=row.kind,
                label=row.label,
                question=row.question,
                answer=row.answer,
                correction=row.correction,
                answerable=row.answerable,
                fact=row.fact,
                passages=tuple(passages),
                asker_id=row.asker_id,
            )
        )
    return items, excluded


def _with_passages(
    services: Services, items: list[ItemData], options: DatasetOptions, excluded: Counter[str]
) -> list[ItemData]:
    """Golden items carry no passages: they get what retrieval finds for them now."""
    out = []
    for item in items:
        if item.passages or item.source == "exchange":
            out.append(item)
            continue
        try:
            found = services.retriever.retrieve(item.question, k=options.prompt_passages)
        except Exception as error:  # a store that is down: the item waits for the next build
            log.warning("no passages for item %d: %s", item.id, type(error).__name__)
            found = []
        if not found and item.answerable:
            excluded["no_passages"] += 1
            continue
        snapshot = tuple(_jsonable(dataclasses.asdict(p)) for p in found)
        out.append(dataclasses.replace(item, passages=snapshot))
    return out


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


def _groups(
    services: Services, items: list[ItemData], options: DatasetOptions
) -> tuple[dict[int, str], set[int]]:
    """The near-duplicate group of each item, and the items that paraphrase a held-out
    evaluation question (they must never be trained on)."""
    held = read_questions(options.held_out_files)
    questions = [scrub(i.question).text for i in items] + held
    vectors = None
    if options.use_embeddings and items:
        vectors = services.embedder.encode(questions).tolist()
    numbers = group_near_duplicates(questions, vectors)
    tainted = set(numbers[len(items) :])
    groups = {
        item.id: f"g{items[n].id}" if n < len(items) else "held-out"
        for item, n in zip(items, numbers, strict=False)
    }
    held_out = {item.id for item, n in zip(items, numbers, strict=False) if n in tainted}
    return groups, held_out


def _too_few(total: int, minimum: int, approved: int, excluded: Counter[str]) -> str:
    left_out = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in excluded.items() if n)
    why = f" ({left_out} left out)" if left_out else ""
    return (
        f"Only {total} training examples from {approved} approved items{why}; at least "
        f"{minimum} are needed. Approve more items (`helpbot curate list --state new`), "
        "generate synthetic ones from the documents (`helpbot curate synth`), add golden "
        "pairs (`helpbot curate add`), or lower HELPBOT_DATASET_MIN_EXAMPLES."
        + (
            " Slack conversations are not used for training until an admin turns that on "
            "(HELPBOT_SLACK_TRAINING_CONSENT=true, or `helpbot dataset build --include-slack`)."
            if excluded.get("slack_consent_off")
            else ""
        )
    )
