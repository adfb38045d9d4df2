"""Console security: the login check behind Gradio's auth=, and the role check every handler runs.

Gradio's auth= only decides who gets a session; each privileged handler is wrapped by
`action(role)`, which re-reads the session user's role from the database on every call (a
removed or demoted admin loses access at once) and turns failures into sentences.
"""

from __future__ import annotations

import functools
import inspect
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from admin.context import ConsoleContext
from knowledge.db import admins
from knowledge.db.documents import audit

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


class ConsoleError(gr.Error):
    """A refusal or failure shown to the admin as a sentence (never a stack trace)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, print_exception=False)


def login_checker(ctx: ConsoleContext) -> Callable[[str, str], bool]:
    """The callable handed to Gradio's auth=: checks the database, throttles failures."""

    def check(username: str, password: str) -> bool:
        with ctx.services.db.session() as session:
            result = admins.check_login(
                session, username, password, now=ctx.now(), policy=ctx.throttle
            )
        return result.ok

    return check


def session_user(ctx: ConsoleContext, request: gr.Request | None, role: str) -> str:
    """The logged-in admin's name, when their current role includes `role`; else a refusal."""
    username = getattr(request, "username", None) if request is not None else None
    if not username:
        raise ConsoleError("Your session has expired or you are not logged in: log in again.")
    with ctx.services.db.session() as session:
        current = admins.role_of(session, username)
    if current is None:
        raise ConsoleError("Your admin account no longer exists: ask an owner to add you again.")
    if not admins.has_role(current, role):
        raise ConsoleError(f"This needs the {role} role; you are a {current}.")
    return str(username)


def record(ctx: ConsoleContext, actor: str, what: str, target: str = "", **detail: Any) -> None:
    """One admin action in the audit log (who, what, when)."""
    with ctx.services.db.session() as session:
        audit(session, actor, what, target, **detail)


def _find_request(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    for value in (*args, *kwargs.values()):
        if isinstance(value, gr.Request):
            return value
    return kwargs.get("request")


def action(ctx: ConsoleContext, role: str) -> Callable[[F], F]:
    """Wrap a handler (whose last parameter is `request: gr.Request`): check the session's
    role first, show ValueErrors as sentences, and hide anything unexpected behind a
    reference the logs carry."""

    def wrap(fn: F) -> F:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen(*args: Any, **kwargs: Any) -> Any:
                session_user(ctx, _find_request(fn, args, kwargs), role)
                try:
                    yield from fn(*args, **kwargs)
                except gr.Error:
                    raise
                except ValueError as error:
                    raise ConsoleError(str(error)) from None
                except Exception as error:
                    raise _unexpected(fn, error) from None

            return gen  # type: ignore[return-value]

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            session_user(ctx, _find_request(fn, args, kwargs), role)
            try:
                return fn(*args, **kwargs)
            except gr.Error:
                raise
            except ValueError as error:
                raise ConsoleError(str(error)) from None
            except Exception as error:
                raise _unexpected(fn, error) from None

        return call  # type: ignore[return-value]

    return wrap


def _unexpected(fn: Callable[..., Any], error: Exception) -> ConsoleError:
    reference = secrets.token_hex(4)
    log.error("console handler %s failed (ref %s)", fn.__name__, reference, exc_info=error)
    return ConsoleError(
        f"Something went wrong ({type(error).__name__}); nothing was changed. "
        f"Reference {reference} is in the console's log."
    )
