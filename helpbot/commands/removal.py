"""Changing what is indexed by hand: `docs delete` (asking what to do with a file a watched
source still holds), `sources exclude`, and the writer lease every such command takes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from helpbot.app import console, docs_app, err, services
from helpbot.commands.freshness import sources_app
from knowledge.db.writer import WriterBusyError, cli_holder, writer_lease
from knowledge.services import Services
from pipelines.deletion import AtSource, Deleted, NeedsChoiceError, delete_document, exclude_path

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.db.document_models import Document

# How long ingest and delete wait for a running re-index to finish before giving up.
WRITER_WAIT_S = 30.0


@contextmanager
def writing(svc: Services) -> Iterator[None]:
    """The writer lease for the block, or a clear error when a re-index keeps it."""
    try:
        with writer_lease(svc.db, cli_holder(), wait_s=WRITER_WAIT_S):
            yield
    except WriterBusyError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


def named_document(session: Session, document: str, *, deleted_ok: bool = False) -> Document:
    """The document a command names (id, source URI or file name); else exit 1 saying so."""
    from knowledge.db import documents as registry

    doc = registry.resolve(session, document)
    if doc is None or (doc.status == "deleted" and not deleted_ok):
        err.print(f"[red]no document {document!r}[/]")
        raise typer.Exit(1)
    return doc


@docs_app.command("delete")
def docs_delete(
    document: Annotated[str, typer.Argument(help="Document id, source URI or file name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    remove_at_source: Annotated[
        bool, typer.Option(help="Also delete its file in the watched folder that holds it.")
    ] = False,
    exclude: Annotated[
        bool, typer.Option(help="Keep its file in the watched source but never index it again.")
    ] = False,
) -> None:
    """Delete a document: it stops being served at once. A document from a watched source
    needs --remove-at-source or --exclude (asked when on a terminal), or it would come back."""
    from knowledge.db import exclusions

    if remove_at_source and exclude:
        err.print("[red]choose one of --remove-at-source and --exclude[/]")
        raise typer.Exit(2)
    at_source: AtSource | None = "remove" if remove_at_source else "exclude" if exclude else None
    svc = services()
    with svc.db.session() as session:
        doc = named_document(session, document)
        doc_id, title = doc.id, doc.title
        source = exclusions.source_holding(session, doc.source_uri)
        watched = source.location if source else None
    if watched and at_source is None and not yes:
        answer = typer.prompt(
            f"{title!r} comes from the watched source {watched}. Remove the file there (r), "
            "exclude it from the source (e), or cancel (c)?",
            default="c",
        )
        at_source = {"r": "remove", "e": "exclude"}.get(answer.strip().lower()[:1])  # type: ignore[assignment]
        if at_source is None:
            raise typer.Exit(1)
    elif not yes and not typer.confirm(f"Delete {title!r} ({doc_id})?"):
        raise typer.Exit(1)
    try:
        with writing(svc):
            deleted = delete_document(
                svc.ingestor(actor="cli"), doc_id, at_source=at_source, actor="cli"
            )
    except NeedsChoiceError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(_deleted_line(deleted))


def _deleted_line(deleted: Deleted) -> str:
    where = {
        "remove": f"; its file was removed from {deleted.source}",
        "exclude": f"; excluded from {deleted.source}",
        None: "",
    }[deleted.at_source]
    return f"deleted {deleted.document_id}: {deleted.chunks} chunks removed{where}"


@sources_app.command("exclude")
def sources_exclude(
    path_or_url: Annotated[str, typer.Argument(help="A file in a watched folder, or a URL.")],
) -> None:
    """Never index this file of a watched source again (it stays where it is) and stop
    serving its document."""
    svc = services()
    try:
        with writing(svc):
            outcome = exclude_path(svc.ingestor(actor="cli"), path_or_url, actor="cli")
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if isinstance(outcome, Deleted):
        console.print(_deleted_line(outcome))
    else:
        console.print(f"excluded from {outcome}; it was not indexed")
