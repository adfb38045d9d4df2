"""`helpbot admin`: console admin users (add-user, list, remove, passwd, role) and the console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from helpbot.app import app, console, err, services
from knowledge.db import admins
from knowledge.services import Services

if TYPE_CHECKING:
    import gradio as gr  # 2-3 s to import: only `helpbot admin`/`up` pay for it

admin_app = typer.Typer(
    help="The admin console and its users (`helpbot admin` alone runs the console).",
    invoke_without_command=True,
)
app.add_typer(admin_app, name="admin")


@admin_app.callback()
def admin_console(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Interface (default HELPBOT_ADMIN_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default HELPBOT_ADMIN_PORT).")] = None,
) -> None:
    """Run the Gradio admin console (bound to 127.0.0.1 unless told otherwise)."""
    if ctx.invoked_subcommand is not None:
        return
    from admin.__main__ import serve
    from admin.server import ConsoleStartError

    svc = services()
    try:
        serve(svc, host or svc.settings.admin_host, port or svc.settings.admin_port)
    except ConsoleStartError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None


def _password(prompt: str, *, from_stdin: bool) -> str:
    """One line of standard input, or asked twice without echo."""
    if from_stdin:
        return typer.get_text_stream("stdin").readline().rstrip("\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@contextmanager
def _refusals() -> Iterator[None]:
    """An AdminError becomes its sentence on stderr and exit status 1."""
    try:
        yield
    except admins.AdminError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None


@admin_app.command("add-user")
def add_user(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="viewer, editor, trainer or owner.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a console admin; the password is asked for (never an argument) and stored hashed."""
    password = _password("Password", from_stdin=password_stdin)
    with services().db.session() as session:
        with _refusals():
            user = admins.add_user(session, name, password, role, by="cli")
        console.print(f"added {user.name} ({user.role})")


@admin_app.command("list")
def list_users() -> None:
    """Every console admin with role and last login."""
    with services().db.session() as session:
        users = admins.list_users(session)
        if not users:
            console.print("no console admins yet: `helpbot admin add-user NAME --role owner`")
            return
        table = Table("name", "role", "created", "by", "last login")
        for u in users:
            table.add_row(
                u.name,
                u.role,
                f"{u.created_at:%Y-%m-%d}",
                u.created_by,
                f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never",
            )
        console.print(table)


@admin_app.command("remove")
def remove_user(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Remove a console admin (their open sessions lose access at the next action)."""
    with services().db.session() as session, _refusals():
        admins.remove_user(session, name, by="cli")
    console.print(f"removed {admins.normalise_name(name)}")


@admin_app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password (also lifts a failed-login lock-out)."""
    from knowledge.db.document_models import utcnow

    password = _password("New password", from_stdin=password_stdin)
    with services().db.session() as session, _refusals():
        admins.set_password(session, name, password, by="cli", now=utcnow())
    console.print(f"password of {admins.normalise_name(name)} changed")


@admin_app.command("role")
def set_role(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help="viewer, editor, trainer or owner.")],
) -> None:
    """Change an admin's role (takes effect at their next action)."""
    with services().db.session() as session, _refusals():
        admins.set_role(session, name, role, by="cli")
    console.print(f"{admins.normalise_name(name)} is now {role}")


def start_console_in_background(svc: Services) -> gr.Blocks | None:
    """For `helpbot up`: serve the console beside the bot; a refusal is printed, not raised.
    Returns the running Gradio app (its `block_thread()` waits until it is closed)."""
    from admin.__main__ import serve
    from admin.server import ConsoleStartError

    host, port = svc.settings.admin_host, svc.settings.admin_port
    try:
        return serve(svc, host, port, block=False)
    except ConsoleStartError as error:
        err.print(f"[yellow]Admin console not started: {error}[/]")
    except OSError as error:
        err.print(f"[yellow]Admin console not started on {host}:{port}: {error}[/]")
    return None
