"""README.md stays true of the code: settings and their defaults, and every top-level command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from helpbot.cli import app
from knowledge.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
FIELDS = Settings.model_fields

NOT_SETTINGS = {"PUBLIC_PORT", "TEST_DATABASE", "TEST_POSTGRES_URL", "TEST_STORE"}
"""HELPBOT_ variables the README names that are not Settings fields: docker compose's published
port and the test suite's tier switches."""

DESCRIBED_DEFAULTS = {
    "SQLite in the data dir": "",
    "empty (LanceDB)": "",
    "shipped MiniLM-L6-v2": "",
}
"""Configuration-table defaults written as words, and the field default each stands for."""


def _same(readme_value: str, default: Any) -> bool:
    if isinstance(default, Path):
        return Path(readme_value) == default
    if isinstance(default, bool):
        return readme_value.lower() == str(default).lower()
    if isinstance(default, int | float):
        try:
            return float(readme_value) == float(default)
        except ValueError:
            return False
    return readme_value == str(default)


def _table_rows() -> list[tuple[str, str]]:
    return re.findall(r"^\| `HELPBOT_([A-Z0-9_]+)` \| ([^|]+?) \|", README, re.MULTILINE)


def test_the_configuration_table_is_found() -> None:
    assert len(_table_rows()) >= 5


@pytest.mark.parametrize(("name", "cell"), _table_rows())
def test_configuration_table_defaults_match_settings(name: str, cell: str) -> None:
    field = name.lower()
    assert field in FIELDS, f"README's table names HELPBOT_{name}, which is no setting"
    default = FIELDS[field].default
    if cell.startswith("`"):
        assert _same(cell.strip("`"), default), f"HELPBOT_{name}: README {cell}, code {default!r}"
    else:
        assert cell in DESCRIBED_DEFAULTS, f"HELPBOT_{name}: describe {cell!r} in this test"
        assert str(default) == DESCRIBED_DEFAULTS[cell], f"HELPBOT_{name} default is {default!r}"


def test_every_variable_the_readme_names_is_a_setting() -> None:
    named = set(re.findall(r"HELPBOT_([A-Z0-9_]+)", README)) - NOT_SETTINGS
    unknown = sorted(n for n in named if n.lower() not in FIELDS)
    assert not unknown, f"README names variables that no setting reads: {unknown}"


def test_numeric_defaults_in_the_prose_match_settings() -> None:
    """`HELPBOT_X` (N) and `HELPBOT_X` (default N) in the text give the field's default."""
    pattern = r"`HELPBOT_([A-Z0-9_]+)`\s*\((?:default\s*)?`?([0-9][0-9.]*)`?\)"
    checked = 0
    for name, value in re.findall(pattern, README):
        if name in NOT_SETTINGS:
            continue
        default = FIELDS[name.lower()].default
        assert _same(value, default), f"HELPBOT_{name}: README says {value}, code {default!r}"
        checked += 1
    assert checked >= 5


def test_every_top_level_command_is_in_the_readme() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    missing = [
        name for name in sorted(commands) if not re.search(rf"helpbot {name}\b|`{name}`", README)
    ]
    assert not missing, f"README never mentions helpbot {missing}"


QUICK_START_QUESTION = "How many working days of full sick pay do employees get?"
TIMINGS = re.compile(r"^extractive( · [a-z]+ \d+\.\d\ds)+$")
"""The last line of a printed answer: the answerer and its stage timings (which vary)."""


def _quick_start_exchange() -> list[str]:
    """The `? ` exchange README's Quick start shows: the question line, then what was printed."""
    block = re.search(r"^```\n(\? .+?)\n```$", README, re.MULTILINE | re.DOTALL)
    assert block, "README's Quick start shows no `? ` exchange in a code block"
    return block.group(1).splitlines()


@pytest.fixture
def handbook(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, embedder: Any) -> Any:
    from tests.sample_knowledge import handbook_services

    svc = handbook_services(tmp_path_factory.getbasetemp(), tmp_path / "data", embedder)
    yield svc
    svc.close()


def test_quick_start_shows_what_the_prompt_prints_on_the_sample_handbook(
    handbook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question goes through `helpbot up`'s prompt (the live answerer of a fresh install,
    on the whole sample handbook) and prints what README shows, timings aside."""
    from io import StringIO

    from rich.console import Console

    from helpbot.commands import answers as answers_cli

    shown = _quick_start_exchange()
    assert shown[0] == f"? {QUICK_START_QUESTION}"
    printed = StringIO()
    terminal = Console(file=printed, soft_wrap=True, color_system=None, highlight=False)
    typed = iter([QUICK_START_QUESTION, "quit"])
    monkeypatch.setattr(terminal, "input", lambda _prompt="": next(typed))
    monkeypatch.setattr(answers_cli, "console", terminal)
    answers_cli.interactive(handbook.answers)
    lines = [line.rstrip() for line in printed.getvalue().splitlines()]
    assert lines[:-1] == shown[1:-1], "README's Quick start answer is not what the prompt prints"
    assert TIMINGS.match(lines[-1]), lines[-1]
    assert TIMINGS.match(shown[-1]), f"README's timings line reads {shown[-1]!r}"
    assert re.match(r"^\s+\[\d+\] ", shown[2]), "the answer is shown without its sources"


def test_quick_start_opening_block_is_what_helpbot_up_prints_on_the_sample_handbook(
    handbook: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """README's block before the `? ` prompt: the console's default address, the Slack tokens
    a fresh clone lacks, the sample handbook's real size, the live answerer, the log file."""
    from bot.app import missing_tokens
    from helpbot.commands.runtime import _console_url, logs_to_file, startup_summary
    from knowledge.db import documents, registry
    from tests.sample_knowledge import default_settings

    block = re.search(r"^```\n(console: .+?)\nAsk a question", README, re.MULTILINE | re.DOTALL)
    assert block, "README's Quick start does not show helpbot up's opening block"
    with handbook.db.session() as session:
        docs = documents.list_all(session)
    handbook.answers  # noqa: B018 - as in helpbot up: the answerer bootstraps the registry
    live = registry.live_version(handbook.db)
    assert live is not None and live.id == live.kind == "extractive"
    monkeypatch.chdir(tmp_path)
    fresh = default_settings(FIELDS["data_dir"].default)  # `make run`: ./data
    with logs_to_file(fresh) as log_file:
        printed = startup_summary(
            console_url=_console_url(object(), fresh),
            missing_slack=missing_tokens(fresh),
            documents=len(docs),
            chunks=sum(d.chunk_count or 0 for d in docs),
            live=live.id,
            log_file=log_file,
        )
    assert block.group(1).splitlines() == printed


def _code() -> list[str]:
    """README's code: each line of its code blocks and each inline code span."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", README, re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```[a-z]*\n.*?^```$", "", README, flags=re.MULTILINE | re.DOTALL)
    return [line for b in blocks for line in b.splitlines()] + re.findall(r"`([^`\n]+)`", prose)


def _invocations() -> list[str]:
    """Every `helpbot ...` command README shows, without comments (`a | b` lists siblings)."""
    found = []
    for line in _code():
        for match in re.finditer(r"(?:^|(?<=[\s/]))helpbot ([^#\n]*)", line):
            found.append(match.group(1).strip().rstrip("\\").strip())
    return [text for text in found if text]


def _check_invocation(text: str) -> None:
    """Each group and command README names exists, with each --option it gives."""
    root: Any = typer.main.get_command(app)  # typer's own click: groups have `commands`
    group = command = root
    for n, alternative in enumerate(text.split(" | ")):
        tokens = [t.strip("[]") for t in alternative.split()]
        if n and tokens and not tokens[0].startswith("-"):
            command = group  # a sibling of the previous command: `dataset list | show ID`
        for token in tokens:
            if token.startswith("-"):
                names = {o for p in command.params for o in p.opts + p.secondary_opts}
                option = token.split("=")[0]
                assert option in names | {"--help"}, f"`helpbot {text}`: no {option} option"
            elif hasattr(command, "commands") and not token.isupper():
                sub = command.commands.get(token)
                assert sub is not None, f"`helpbot {text}`: {token!r} is no command"
                group, command = command, sub


def test_readme_shows_the_cli_commands() -> None:
    assert len(_invocations()) >= 40


@pytest.mark.parametrize("invocation", sorted(set(_invocations())))
def test_every_command_the_readme_shows_exists_with_its_options(invocation: str) -> None:
    _check_invocation(invocation)


@pytest.mark.parametrize(
    "wrong", ["docz list", "docs show parental-leave --chunk", "dataset list | shw ID"]
)
def test_a_command_or_option_that_does_not_exist_is_caught(wrong: str) -> None:
    with pytest.raises(AssertionError, match=r"no --chunk option|is no command"):
        _check_invocation(wrong)
