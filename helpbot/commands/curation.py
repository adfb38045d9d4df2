"""Curation and dataset commands: review items, add golden and synthetic ones, build datasets."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from helpbot.app import app, console, err, services
from knowledge.db import curation, dataset_versions
from knowledge.db.curation_models import CurationItem, DatasetVersion
from knowledge.db.dataset_versions import DatasetNotFoundError
from knowledge.db.opt_outs import OptOutError
from pipelines.curation.synth import make_teacher, run_synth
from pipelines.datasets import DatasetError, DatasetOptions, build_dataset

curate_app = typer.Typer(help="Review what the model will learn from.", no_args_is_help=True)
dataset_app = typer.Typer(help="Immutable training dataset versions.", no_args_is_help=True)
app.add_typer(curate_app, name="curate")
app.add_typer(dataset_app, name="dataset")

By = Annotated[str | None, typer.Option("--by", help="Who does this (default: your login).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


class State(StrEnum):
    new = "new"
    approved = "approved"
    rejected = "rejected"
    needs_correction = "needs_correction"


class Source(StrEnum):
    exchange = "exchange"
    golden = "golden"
    synthetic = "synthetic"


@contextmanager
def _refusals() -> Iterator[None]:
    """Refused actions print their one-sentence reason and exit 1."""
    try:
        yield
    except (
        curation.CurationError,
        DatasetError,
        DatasetNotFoundError,
        OptOutError,
    ) as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error


def _row(item: CurationItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "state": item.state,
        "source": item.source,
        "kind": item.kind,
        "label": item.label,
        "votes": {"up": item.upvotes, "down": item.downvotes},
        "question": item.question,
        "answer": item.answer,
        "correction": item.correction,
        "answerable": item.answerable,
        "created_at": item.created_at.isoformat(timespec="seconds"),
    }


@curate_app.command("list")
def curate_list(
    state: Annotated[State | None, typer.Option(help="Only items in this state.")] = None,
    source: Annotated[Source | None, typer.Option(help="Only items from this source.")] = None,
    label: Annotated[str | None, typer.Option(help="positive|negative|corrected|unrated")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: AsJson = False,
) -> None:
    """Curation items, newest first (new answered exchanges are added first)."""
    with services().db.session() as session:
        curation.sync_exchanges(session)
        rows = [
            _row(i)
            for i in curation.list_items(
                session,
                state=state.value if state else None,
                source=source.value if source else None,
                label=label,
                limit=limit,
            )
        ]
        totals = curation.counts(session)
    if as_json:
        print(json.dumps({"items": rows, "counts": totals}, indent=2))
        return
    table = Table("id", "state", "source", "label", "question", "target")
    for r in rows:
        target = r["correction"] or r["answer"] or "(abstain)"
        table.add_row(str(r["id"]), r["state"], r["source"], r["label"], r["question"], target)
    console.print(table)
    console.print(", ".join(f"{n} {s}" for s, n in totals.items()))


@curate_app.command("show")
def curate_show(item_id: int, as_json: AsJson = False) -> None:
    """One item with its passages and full history."""
    with _refusals(), services().db.session() as session:
        item = curation.get_item(session, item_id)
        row = _row(item) | {
            "passages": [
                f"{p.get('document_id')}@{p.get('version')}#{p.get('chunk_index')}"
                for p in item.passages
            ],
            "history": [
                {
                    "at": e.at.isoformat(timespec="seconds"),
                    "actor": e.actor,
                    "action": e.action,
                    "from": e.from_state,
                    "to": e.to_state,
                    "reason": e.reason,
                }
                for e in curation.history(session, item_id)
            ],
        }
    if as_json:
        print(json.dumps(row, indent=2))
        return
    for key in ("id", "state", "source", "kind", "label", "question", "answer", "correction"):
        console.print(f"[bold]{key}[/]: {row[key]}")
    console.print(f"[bold]passages[/]: {', '.join(row['passages']) or '-'}")
    for e in row["history"]:
        console.print(
            f"  {e['at']} {e['actor']}: {e['action']} {e['from']} -> {e['to']} {e['reason']}"
        )


def _move(item_ids: list[int], to_state: str, by: str | None, reason: str) -> None:
    with _refusals(), services().db.session() as session:
        for item_id in item_ids:
            curation.transition(
                session, item_id, to_state, actor=by or getpass.getuser(), reason=reason
            )
    console.print(f"{len(item_ids)} item(s) {to_state.replace('_', ' ')}")


@curate_app.command("approve")
def curate_approve(item_ids: list[int], by: By = None, reason: str = "") -> None:
    """Approve items for training."""
    _move(item_ids, "approved", by, reason)


@curate_app.command("reject")
def curate_reject(
    item_ids: list[int],
    reason: Annotated[str, typer.Option(help="Why (required).")] = "",
    by: By = None,
    needs_correction: Annotated[
        bool, typer.Option(help="Mark as needing a correction instead of rejecting.")
    ] = False,
) -> None:
    """Reject items (or mark them as needing a correction), with a reason."""
    _move(item_ids, "needs_correction" if needs_correction else "rejected", by, reason)


@curate_app.command("correct")
def curate_correct(
    item_id: int,
    text: Annotated[str, typer.Argument(help="The right answer (cite passages as [n]).")],
    by: By = None,
    reason: str = "",
    approve: Annotated[bool, typer.Option(help="Approve it at once.")] = True,
) -> None:
    """Replace an item's answer with the right one."""
    with _refusals(), services().db.session() as session:
        item = curation.correct(
            session, item_id, text, actor=by or getpass.getuser(), reason=reason, approve=approve
        )
        state = item.state
    console.print(f"item {item_id} corrected ({state})")


@curate_app.command("add")
def curate_add(
    question: Annotated[str, typer.Option(help="The question.")],
    answer: Annotated[str, typer.Option(help="The right answer.")] = "",
    unanswerable: Annotated[
        bool, typer.Option(help="The policies do not cover it: the target is the abstention.")
    ] = False,
    by: By = None,
) -> None:
    """Add an admin-written (golden) question and answer, approved."""
    with _refusals(), services().db.session() as session:
        item = curation.add_golden(
            session,
            question=question,
            answer=answer,
            answerable=not unanswerable,
            actor=by or getpass.getuser(),
        )
        item_id = item.id
    console.print(f"golden item {item_id} added")


@curate_app.command("synth")
def curate_synth(
    limit: Annotated[int | None, typer.Option(help="At most this many answerable items.")] = None,
    seed: int = 0,
    teacher: Annotated[
        bool, typer.Option(help="Use the teacher model when HELPBOT_TEACHER_BASE_URL is set.")
    ] = True,
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Synthetic questions from the documents (and ones they do not answer), as new items."""
    svc = services()
    chosen = make_teacher(svc.settings) if teacher else None
    result = run_synth(svc, actor=by or getpass.getuser(), seed=seed, limit=limit, teacher=chosen)
    if as_json:
        print(json.dumps(result.__dict__, indent=2))
        return
    console.print(
        f"{result.created} new synthetic items ({result.skipped} already there) from "
        f"{result.passages} passages: {result.by_kind}"
        + (f"; teacher rejected {result.teacher_rejected}" if result.teacher else "")
    )


@curate_app.command("opt-out")
def curate_opt_out(
    user_id: str, undo: Annotated[bool, typer.Option(help="Opt back in.")] = False
) -> None:
    """Keep a person's exchanges out of future datasets (or let them back in)."""
    with _refusals():
        changed = curation.set_opt_out(services().db, user_id, not undo)
    state = "opted in" if undo else "opted out"
    console.print(f"{user_id} {state}" + ("" if changed else " already"))


def _dataset(d: DatasetVersion) -> dict[str, Any]:
    return {
        "id": d.id,
        "path": d.path,
        "content_hash": d.content_hash,
        "counts": d.counts,
        "filters": d.filters,
        "items": len(d.item_ids),
        "built_by": d.built_by,
        "built_at": d.built_at.isoformat(timespec="seconds"),
    }


@dataset_app.command("build")
def dataset_build(
    by: By = None,
    min_examples: Annotated[int | None, typer.Option(help="Override the minimum.")] = None,
    seed: int = 0,
    include_restricted: bool = False,
    include_stale: bool = False,
    include_slack: Annotated[
        bool | None,
        typer.Option(
            "--include-slack/--no-slack",
            help="Use Slack conversations (default: HELPBOT_SLACK_TRAINING_CONSENT, off).",
        ),
    ] = None,
    embeddings: Annotated[bool, typer.Option(help="Group paraphrases by embeddings.")] = True,
    held_out: Annotated[
        list[str] | None,
        typer.Option(help="An evaluation QA file (JSONL): its questions never go in (repeatable)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Build an immutable dataset version from the approved items."""
    options = DatasetOptions(
        held_out_files=tuple(held_out or ()),
        min_examples=min_examples,
        seed=seed,
        include_restricted=include_restricted,
        include_stale=include_stale,
        include_slack=include_slack,
        use_embeddings=embeddings,
    )
    with _refusals():
        info = build_dataset(services(), built_by=by or getpass.getuser(), options=options)
    if as_json:
        body = {"id": info.id, "path": str(info.path), "content_hash": info.content_hash}
        print(json.dumps(body | {"counts": info.counts, "created": info.created}, indent=2))
        return
    note = "" if info.created else " (identical to an existing version)"
    console.print(f"dataset {info.id}{note}: {info.path}")
    console.print({k: info.counts.get(k) for k in ("train", "validation", "test", "kto")})


@dataset_app.command("list")
def dataset_list(as_json: AsJson = False) -> None:
    """Dataset versions, newest first."""
    with services().db.session() as session:
        rows = [_dataset(d) for d in dataset_versions.list_datasets(session)]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("id", "built", "by", "train", "validation", "test", "hash")
    for r in rows:
        c = r["counts"]
        table.add_row(
            r["id"], r["built_at"], r["built_by"], str(c.get("train")),
            str(c.get("validation")), str(c.get("test")), r["content_hash"][:12],
        )  # fmt: skip
    console.print(table)


@dataset_app.command("show")
def dataset_show(dataset_id: str, as_json: AsJson = False) -> None:
    """One dataset version: counts, filters, PII removed."""
    with _refusals(), services().db.session() as session:
        row = _dataset(dataset_versions.get_dataset(session, dataset_id))
    if as_json:
        print(json.dumps(row, indent=2))
        return
    console.print_json(json.dumps(row))


@dataset_app.command("diff")
def dataset_diff(old: str, new: str, as_json: AsJson = False) -> None:
    """Items added and removed between two versions, and their counts."""
    with _refusals(), services().db.session() as session:
        diff = dataset_versions.diff_datasets(session, old, new)
    if as_json:
        print(json.dumps(diff, indent=2))
        return
    console.print(
        f"{old} -> {new}: +{len(diff['added_items'])} items, -{len(diff['removed_items'])} "
        f"items, {diff['kept_items']} kept"
    )
    console.print({"old": diff["counts"]["old"], "new": diff["counts"]["new"]})
