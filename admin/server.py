"""Starting the console: bind checks, the first admin, and Gradio's launch with hardened options."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

import gradio as gr
from starlette.middleware import Middleware

from admin.app import build_app
from admin.auth import login_checker
from admin.context import ConsoleContext
from admin.session_gate import SessionGate
from knowledge.db import admins

log = logging.getLogger(__name__)

AUTH_MESSAGE = "helpbot console: log in with your admin account."


class ConsoleStartError(RuntimeError):
    """The console refuses to start; the message says what to do."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class FirstAdmin:
    """An account created at start-up; the password is shown once and stored only hashed."""

    name: str
    password: str | None


def prepare_admins(ctx: ConsoleContext, host: str) -> FirstAdmin | None:
    """Create the admins named in HELPBOT_ADMIN_USERS (as owners) that do not exist yet; on a
    loopback bind with no admin at all, create 'admin' with a generated password. A non-loopback
    bind with no admin is refused: nobody could log in, or everybody could."""
    configured = ctx.services.settings.admin_users
    with ctx.services.db.session() as session:
        for name, secret in configured.items():
            if admins.get_user(session, name) is None:
                admins.add_user(session, name, secret.get_secret_value(), "owner", by="settings")
        if admins.count_users(session) > 0:
            return None
        if not is_loopback(host):
            raise ConsoleStartError(
                f"refusing to serve the console on {host} with no admin users: add one first "
                "with `helpbot admin add-user NAME --role owner`"
            )
        password = admins.generate_password()
        admins.add_user(session, "admin", password, "owner", by="first-start")
    return FirstAdmin("admin", password)


def launch(ctx: ConsoleContext, host: str, port: int, *, block: bool = True) -> gr.Blocks:
    """Serve the console; with `block=False` return once it listens (tests, `helpbot up`)."""
    app = build_app(ctx)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        auth=login_checker(ctx),
        auth_message=AUTH_MESSAGE,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=True,
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
        max_file_size=ctx.services.settings.max_upload_bytes,
        footer_links=[],
        app_kwargs={
            "docs_url": None,
            "redoc_url": None,
            "openapi_url": None,
            "middleware": [
                Middleware(
                    SessionGate,
                    max_age_s=ctx.services.settings.admin_session_hours * 3600,
                    auth_message=AUTH_MESSAGE,
                )
            ],
        },
    )
    log.info("console listening on %s:%s", host, port)
    return app
