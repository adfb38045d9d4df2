"""`helpbot admin` user commands: passwords from stdin, refusals as one sentence and exit 1."""

from __future__ import annotations

from typer.testing import CliRunner

from helpbot.cli import app


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(app, ["admin", *args], input=stdin)
    return result.exit_code, result.output


def test_admin_users_are_added_listed_and_refused_with_a_sentence(settings: object) -> None:
    assert (
        run("add-user", "ana", "--role", "owner", "--password-stdin", stdin="s3cret-pass-1\n")[0]
        == 0
    )
    code, output = run("add-user", "bo", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 10 characters" in output
    code, output = run("role", "ana", "viewer")
    assert code == 1 and "last owner" in output
    code, output = run("list")
    assert code == 0 and "ana" in output and "owner" in output and "bo" not in output
