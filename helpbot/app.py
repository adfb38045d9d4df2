"""The CLI's shared pieces: the Typer apps, consoles, progress bars and service wiring."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from knowledge.observability import configure_logging
from knowledge.services import Services
from knowledge.settings import Settings

app = typer.Typer(help="helpbot: cited answers from your policies, in Slack.", no_args_is_help=True)
docs_app = typer.Typer(help="The document registry.", no_args_is_help=True)
db_app = typer.Typer(help="The SQL database.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(db_app, name="db")

console = Console()
err = Console(stderr=True)


def services() -> Services:
    """Settings from the environment and .env, logging configured, services built lazily."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    _require_writable(settings.data_dir)
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    return Services.from_settings(settings)


def _require_writable(data_dir: Path) -> None:
    """Exit with one sentence (status 2) when the data directory cannot be created or written."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as error:
        err.print(
            f"[red]helpbot cannot write its data directory {data_dir} ({error.strerror}): set "
            "HELPBOT_DATA_DIR to a folder you can write, or fix its permissions.[/]",
            highlight=False,
        )
        raise typer.Exit(2) from None


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
