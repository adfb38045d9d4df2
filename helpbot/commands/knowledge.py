"""Knowledge commands: ingest, docs list/show/review/delete, search, db upgrade, config."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from helpbot.app import app, console, db_app, docs_app, err, progress, services
from helpbot.commands.answers import OVERDUE
from helpbot.commands.removal import named_document, writing
from helpbot.tables import id_table
from knowledge.ingest import FileResult, SourceFile, walk
from knowledge.redaction import display_value
from knowledge.retrieval import Passage
from knowledge.services import Services
from knowledge.settings import Settings
from knowledge.stores.base import EVERYONE


# --- ingestion ---------------------------------------------------------------------------
@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    audience: Annotated[list[str] | None, typer.Option(help="Who may see them (repeat).")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner (an email) to nudge on review.")] = None,
    review_by: Annotated[str | None, typer.Option(help="Review-by date, YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Parse, chunk, embed and index documents; unchanged files are skipped (a --review-by
    for one records a new review date: see `helpbot docs review`)."""
    _require_paths(paths)  # before any set-up: a typo costs nothing
    overrides: dict[str, Any] = {"actor": "cli"}
    if audience:
        overrides["audiences"] = tuple(audience)
    if owner:
        overrides["owner"] = owner
    if review_by:
        overrides["review_by"] = date.fromisoformat(review_by)
    ingest_paths(services(), paths, overrides, as_json=as_json)


def _require_paths(paths: list[Path]) -> None:
    missing = [p for p in paths if not p.exists()]
    if missing:
        err.print(f"[red]not found:[/] {', '.join(map(str, missing))}")
        raise typer.Exit(2)


def ingest_paths(
    svc: Services, paths: list[Path], overrides: dict[str, Any], *, as_json: bool = False
) -> None:
    """`helpbot ingest`'s work on given services (`helpbot up --setup` passes its own): the
    files with a progress bar and a line each, the summary, exit status 1 when one failed
    (2 when a path does not exist)."""
    _require_paths(paths)
    files = list(walk(paths))
    results: list[FileResult] = []
    with writing(svc):
        with progress() as bar:
            task = bar.add_task("ingesting", total=len(files))
            for result in svc.ingestor(**overrides).ingest(SourceFile.from_path(f) for f in files):
                results.append(result)
                bar.advance(task)
                if not as_json:
                    bar.console.print(_result_line(result))
        svc.store.optimize()
    if as_json:
        console.print_json(data=[r.__dict__ for r in results], default=str)
    else:
        _summary(results)
    # A review date that could not be recorded is an error too: it was asked for explicitly.
    if any(r.outcome == "failed" or (r.outcome == "unchanged" and r.error) for r in results):
        raise typer.Exit(1)


def _result_line(result: FileResult) -> str:
    if result.outcome == "failed":
        return f"[red]✗ {result.name}[/]: {result.error}"
    if result.outcome == "duplicate":
        return f"[yellow]≡ {result.name}[/]: {result.error}"
    if result.outcome == "unchanged" and result.error:
        return f"[red]= {result.name}[/]: unchanged (v{result.version}); {result.error}"
    if result.outcome == "unchanged" and result.review_updated:
        return (
            f"[green]= {result.name}[/]: review date updated to {result.review_updated} "
            f"(content unchanged, v{result.version})"
        )
    if result.outcome == "unchanged":
        return f"[dim]= {result.name}: unchanged (v{result.version})[/]"
    target = f"{result.document_id} v{result.version}"
    return f"[green]✓ {result.name}[/] -> {target}, {result.chunks} chunks"


def _summary(results: list[FileResult]) -> None:
    outcomes = ("indexed", "unchanged", "duplicate", "failed")
    counts = {o: sum(r.outcome == o for r in results) for o in outcomes}
    chunks = sum(r.chunks for r in results if r.outcome == "indexed")
    reviewed = sum(r.review_updated is not None for r in results)
    console.print(
        f"{len(results)} files: {counts['indexed']} indexed ({chunks} chunks), "
        f"{counts['unchanged'] - reviewed} unchanged, "
        + (f"{reviewed} review date{'s' if reviewed != 1 else ''} updated, " if reviewed else "")
        + f"{counts['duplicate']} duplicates, {counts['failed']} failed"
    )


# --- registry ----------------------------------------------------------------------------
@docs_app.command("list")
def docs_list(
    all_: Annotated[bool, typer.Option("--all", help="Include deleted documents.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every document with its version, status, chunks and review date."""
    from knowledge.db import documents as registry

    with services().db.session() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": d.id,
                "title": d.title,
                "version": d.live_version,
                "status": d.status,
                "chunks": d.chunk_count,
                "audiences": d.audiences,
                "owner": d.owner,
                "review_by": d.review_by.isoformat() if d.review_by else None,
                "reviewed_by": d.reviewed_by,
                "reviewed_at": d.reviewed_at.isoformat() if d.reviewed_at else None,
                "source": d.source_uri,
                "error": d.last_error,
            }
            for d in registry.list_all(session, include_deleted=all_)
        ]
    if as_json:
        console.print_json(data=rows)
        return
    ids = [row["id"] for row in rows]
    table = id_table(console, "id", ids, "title", "v", "status", "chunks", "audiences")
    table.add_column("review by", no_wrap=True)
    table.add_column("error")
    for row in rows:
        table.add_row(
            row["id"],
            row["title"],
            str(row["version"] or "-"),
            row["status"],
            str(row["chunks"]),
            ",".join(row["audiences"]),
            row["review_by"] or "-",
            (row["error"] or "")[:60],
        )
    console.print(table)


@docs_app.command("show")
def docs_show(
    document: Annotated[str, typer.Argument(help="Document id, source URI or file name.")],
    chunks: Annotated[bool, typer.Option(help="Also print the live version's chunks.")] = False,
) -> None:
    """One document: metadata, version history and (optionally) its chunks."""

    svc = services()
    with svc.db.session() as session:
        doc = named_document(session, document, deleted_ok=True)
        console.print(f"[bold]{doc.title}[/]  ({doc.id})")
        for label, value in [
            ("source", doc.source_uri),
            ("status", doc.status),
            ("live version", doc.live_version),
            ("chunks", doc.chunk_count),
            ("owner", doc.owner),
            ("audiences", ", ".join(doc.audiences)),
            ("review by", doc.review_by),
            ("reviewed", _reviewed(doc.reviewed_at, doc.reviewed_by)),
            ("last error", doc.last_error),
        ]:
            console.print(f"  {label:>12}: {value if value is not None else '-'}")
        history = Table("version", "status", "file", "type", "chunks", "hash", "created", "error")
        for v in doc.versions:
            history.add_row(
                str(v.version),
                v.status,
                v.file_name,
                v.doc_type,
                str(v.chunk_count),
                v.content_hash[:10],
                v.created_at.strftime("%Y-%m-%d %H:%M"),
                (v.error or "")[:50],
            )
        console.print(history)
        doc_id, live = doc.id, doc.live_version
    if chunks and live is not None:
        for chunk in svc.store.list_chunks(doc_id, live):
            console.rule(f"#{chunk.chunk_index} {chunk.section}")
            console.print(chunk.text)


def _reviewed(at: Any, by: str | None) -> str | None:
    return f"{at:%Y-%m-%d %H:%M} by {by}" if at else None


@docs_app.command("review")
def docs_review(
    document: Annotated[str, typer.Argument(help="Document id, source URI or file name.")],
    until: Annotated[
        str, typer.Option(help="Still correct until this date, YYYY-MM-DD (in the future).")
    ],
    by: Annotated[str | None, typer.Option(help="Who reviewed it (recorded).")] = None,
) -> None:
    """Confirm a document is still correct until a date, without changing the document.

    Answers stop flagging it as overdue at once; its owner is reminded again before the new
    date. To change the text, update the document at its source instead.
    """
    from knowledge.db import documents as registry
    from knowledge.db.document_models import utcnow

    try:
        new_date = date.fromisoformat(until)
    except ValueError:
        err.print(f"[red]--until must be a date, YYYY-MM-DD: {until!r}[/]")
        raise typer.Exit(2) from None
    svc = services()
    with svc.db.session() as session:
        doc = named_document(session, document)
        try:
            change = registry.record_review(
                session, doc, until=new_date, by=by or "cli", now=utcnow()
            )
        except registry.ReviewError as exc:
            err.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
        owner = doc.owner
    previous = change.previous_review_by or "none"
    console.print(f"{change.document_id}: review by {previous} -> {change.review_by}")
    if change.was_stale:
        console.print("  no longer overdue: answers from it stop carrying the review note")
    if n := change.nudges_withdrawn:
        console.print(
            f"  {n} undelivered reminder{'s' if n != 1 else ''} of the old date withdrawn"
        )
    if owner:
        remind = change.review_by - timedelta(days=svc.settings.review_nudge_days)
        when = f"from {remind}" if remind > utcnow().date() else "at the next daily review check"
        console.print(f"  {owner} is reminded again {when}")


# --- search and evaluation ----------------------------------------------------------------
@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option(help="How many passages.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or vector.")] = "hybrid",
    audience: Annotated[list[str] | None, typer.Option(help="Search as this audience.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The passages helpbot would answer from, with their scores."""
    if mode not in ("hybrid", "bm25", "vector"):
        err.print("[red]--mode must be hybrid, bm25 or vector[/]")
        raise typer.Exit(2)
    svc = services()
    passages = svc.retriever.retrieve(
        question,
        audiences=audience or [EVERYONE],
        k=k,
        mode=mode,  # type: ignore[arg-type]
    )
    if as_json:
        from knowledge.qa_harness import hit_json

        console.print_json(
            data=[
                hit_json(p) | {"document_id": p.document_id, "version": p.version} for p in passages
            ]
        )
        return
    if not passages:
        console.print("[yellow]nothing found[/]")
    for rank, p in enumerate(passages, start=1):
        _print_passage(rank, p)


def _print_passage(rank: int, p: Passage) -> None:
    scores = f"score {p.score:.3f}"
    if p.bm25_score is not None:
        scores += f" · bm25 {p.bm25_score:.2f}"
    if p.vector_score is not None:
        scores += f" · cos {p.vector_score:.3f}"
    stale = OVERDUE if p.stale else ""
    console.print(
        f"[bold]{rank}. {p.title}[/] — {p.section} [dim]({p.source_name} v{p.version}; "
        f"{scores})[/]{stale}"
    )
    console.print(f"   {p.text[:400]}")


# --- operations ----------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done automatically at start-up)."""
    svc = services()
    svc.db  # noqa: B018 - building the database applies the migrations
    console.print(f"database up to date ({svc.settings.sql_url.split('://')[0]})")


@app.command()
def config() -> None:
    """Every setting with its current value (secrets masked) and what it does."""
    settings = Settings()
    table = Table("variable", "value", "meaning")
    docs = _field_docs()
    for name in Settings.model_fields:
        value = getattr(settings, name)
        table.add_row(f"HELPBOT_{name.upper()}", Text(display_value(value)), docs.get(name, ""))
    console.print(table)


def _field_docs() -> dict[str, str]:
    """The docstring under each Settings field (they document every variable)."""
    import ast
    import inspect
    import itertools

    import knowledge.settings as module

    tree = ast.parse(inspect.getsource(module))
    docs: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Settings":
            body = node.body
            for current, following in itertools.pairwise(body):
                if (
                    isinstance(current, ast.AnnAssign)
                    and isinstance(current.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                ):
                    docs[current.target.id] = " ".join(str(following.value.value).split())
    return docs
