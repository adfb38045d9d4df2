"""Building a dataset version: approved items -> filtered, scrubbed, grouped, split, written."""

from __future__ import annotations

import dataclasses
import logging
import random
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from knowledge.db import curation, dataset_versions
from knowledge.db import documents as registry
from knowledge.db.curation_models import CurationItem, DatasetVersion
from knowledge.services import Services
from pipelines.curation.dedupe import group_near_duplicates
from pipelines.curation.filters import ServedDocument, exclusion
from pipelines.curation.pii import scrub
from pipelines.datasets.examples import Example, ItemData, item_examples, to_record
from pipelines.datasets.files import (
    content_hash,
    jsonl,
    read_names,
    read_questions,
    write_version,
)
from pipelines.datasets.models import DatasetError, DatasetOptions, DatasetVersionInfo
from pipelines.datasets.split import SPLITS, assign_splits, balance_abstention, cap_groups

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
        items, excluded = _usable_items(rows, served, opted_out, options)
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
        for example in item_examples(item, k=options.prompt_passages, rng=rng):
            if example.label is not None:
                if split == "train":
                    kto.append(example)
            else:
                by_split[split].append(example)
    for split in SPLITS:
        sft = by_split[split]
        by_split[split] = balance_abstention(
            [e for e in sft if not e.abstains],
            [e for e in sft if e.abstains],
            max_share=options.max_abstention_share,
            seed=options.seed,
        )
    total = sum(len(v) for v in by_split.values())
    if total < minimum:
        raise DatasetError(_too_few(total, minimum, len(rows), excluded))
    return _write(services, built_by, options, items, groups, by_split, kto, excluded)


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
    )


def _write(
    services: Services,
    built_by: str,
    options: DatasetOptions,
    items: list[ItemData],
    groups: dict[int, str],
    by_split: dict[str, list[Example]],
    kto: list[Example],
    excluded: Counter[str],
) -> DatasetVersionInfo:
    names = [*options.names, *read_names(services.settings.pii_names_file)]
    keep = services.settings.pii_keep
    by_id = {i.id: i for i in items}
    pii: Counter[str] = Counter()
    scrubbed: set[tuple[int, str]] = set()
    counts: dict[str, Any] = {
        "by_source": Counter(),
        "by_label": Counter(),
        "by_variant": Counter(),
    }
    doc_versions: dict[str, set[int]] = defaultdict(set)
    contents: dict[str, bytes] = {}
    for name, examples in [*((s, by_split[s]) for s in SPLITS), ("kto", kto)]:
        rows = []
        for example in examples:
            item = by_id[example.item_id]
            contacts = [*keep, *(c for p in example.passages for c in _CONTACT.findall(p.text))]
            question = scrub(example.question, names=names, keep=contacts)
            target = scrub(example.target, names=names, keep=contacts)
            found = Counter(question.counts) + Counter(target.counts)
            for text, result in ((example.question, question), (example.target, target)):
                if (item.id, text) not in scrubbed:  # one text in several rows counts once
                    scrubbed.add((item.id, text))
                    pii.update(result.counts)
            for p in example.passages:
                doc_versions[p.document_id].add(p.version)
            meta = {
                "item_id": item.id,
                "source": item.source,
                "kind": item.kind,
                "label": item.label,
                "variant": example.variant,
                "group": groups[item.id],
                "documents": sorted({f"{p.document_id}@{p.version}" for p in example.passages}),
                "pii": dict(found),
            }
            rows.append(to_record(example, question.text, target.text, meta))
            if name != "kto":
                counts["by_source"][item.source] += 1
                counts["by_label"][item.label] += 1
                counts["by_variant"][example.variant] += 1
        contents[f"{name}.jsonl"] = jsonl(rows)
        counts[name] = len(rows)
    digest = content_hash(contents)
    counts = {k: dict(v) if isinstance(v, Counter) else v for k, v in counts.items()}
    with services.db.session() as session:
        existing = dataset_versions.dataset_by_hash(session, digest)
        if existing is not None:
            return DatasetVersionInfo(
                existing.id, _root(services) / existing.id, digest, existing.counts, created=False
            )
    now = datetime.now(UTC)
    dataset_id = f"ds-{now:%Y%m%d-%H%M%S}-{digest[:8]}"
    filters = {
        "options": dataclasses.asdict(options) | {"names": len(names)},
        "excluded": dict(excluded),
    }
    manifest = {
        "id": dataset_id,
        "content_hash": digest,
        "counts": counts,
        "filters": filters,
        "pii_removed": dict(pii),
        "document_versions": {d: sorted(v) for d, v in sorted(doc_versions.items())},
        "groups": len(set(groups[i.id] for i in items)),
        "items": len(items),
        "format": "TRL conversational prompt-completion; kto.jsonl adds a boolean label",
        "built_by": built_by,
        "built_at": now.isoformat(timespec="seconds"),
    }
    path = write_version(_root(services), dataset_id, contents, manifest)
    with services.db.session() as session:
        dataset_versions.add_dataset_version(
            session,
            DatasetVersion(
                id=dataset_id,
                path=str(path),
                content_hash=digest,
                counts=counts,
                filters=filters | {"pii_removed": dict(pii)},
                item_ids=sorted(by_id),
                built_by=built_by,
                built_at=now,
            ),
        )
        registry.audit(session, built_by, "dataset.build", dataset_id, counts=counts)
    log.info("dataset %s built: %s", dataset_id, {s: counts[s] for s in SPLITS})
    return DatasetVersionInfo(dataset_id, path, digest, counts)


def _root(services: Services) -> Any:
    return services.settings.data_dir / "datasets"
