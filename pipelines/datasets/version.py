"""Writing and recording a dataset version: scrubbed JSONL rows, manifest, the database row."""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge.db import dataset_versions
from knowledge.db import documents as registry
from knowledge.db.curation_models import DatasetVersion
from knowledge.pii import read_names, scrub_example
from knowledge.retrieval import Passage
from knowledge.services import Services
from pipelines.datasets.examples import Example, ItemData, to_record
from pipelines.datasets.files import content_hash, jsonl, write_version
from pipelines.datasets.models import DatasetError, DatasetOptions, DatasetVersionInfo
from pipelines.datasets.split import SPLITS

log = logging.getLogger(__name__)


def write_dataset(
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
    context_chars = (
        services.settings.context_chars if options.context_chars is None else options.context_chars
    )
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
            question, target = scrub_example(
                example.question,
                example.target,
                (p.text for p in example.passages),
                names=names,
                keep=keep,
            )
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
                "sources": cited_sources(target.text, example.passages),
                "pii": dict(found),
            }
            rows.append(
                to_record(example, question.text, target.text, meta, context_chars=context_chars)
            )
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
                existing.id, Path(existing.path), digest, existing.counts, created=False
            )
    now = datetime.now(UTC)
    dataset_id = f"ds-{now:%Y%m%d-%H%M%S}-{digest[:8]}"
    filters = {
        "options": dataclasses.asdict(options)
        | {"names": len(names), "context_chars": context_chars},
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
    try:
        path: Path | None = write_version(_root(services), dataset_id, contents, manifest)
    except FileExistsError:  # the same data built in the same second elsewhere
        path = None
    if path is not None:
        try:
            with services.db.session() as session:
                _record(
                    session, dataset_id, path, digest, counts, filters, pii, by_id, built_by, now
                )
        except IntegrityError:  # another build recorded identical data a moment earlier
            shutil.rmtree(path, ignore_errors=True)
            path = None
    if path is None:
        with services.db.session() as session:
            twin = dataset_versions.dataset_by_hash(session, digest)
        if twin is None:
            raise DatasetError("Another build of identical data is in progress; run it again.")
        return DatasetVersionInfo(twin.id, Path(twin.path), digest, twin.counts, created=False)
    log.info("dataset %s built: %s", dataset_id, {s: counts[s] for s in SPLITS})
    return DatasetVersionInfo(dataset_id, path, digest, counts)


def _record(
    session: Session,
    dataset_id: str,
    path: Path,
    digest: str,
    counts: dict[str, Any],
    filters: dict[str, Any],
    pii: Counter[str],
    by_id: dict[int, ItemData],
    built_by: str,
    now: datetime,
) -> None:
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


def _root(services: Services) -> Any:
    return services.settings.data_dir / "datasets"


_MARKER = re.compile(r"\[(\d+)\]")


def cited_sources(target: str, passages: Sequence[Passage]) -> list[str]:
    """File names of the passages the target cites ([n] markers), in order: what an
    evaluation of the test split expects an answer to cite."""
    found: list[str] = []
    for number in (int(n) for n in _MARKER.findall(target)):
        if 0 < number <= len(passages):
            name = passages[number - 1].source_name
            if name not in found:
                found.append(name)
    return found
