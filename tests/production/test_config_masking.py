"""Fix 3: `helpbot config` masks every secret, including a password inside a database URL."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from helpbot.cli import app
from knowledge.redaction import MASK, mask_text

PASSWORD = "Pg-s3cret-9f2"
TOKEN = "xoxb-1111-planted-token"


def test_config_prints_no_secret(settings: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "HELPBOT_DATABASE_URL", f"postgresql+psycopg://helpbot:{PASSWORD}@db/helpbot"
    )
    monkeypatch.setenv("HELPBOT_SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("HELPBOT_TEACHER_BASE_URL", f"https://teacher.example/v1?api_key={PASSWORD}")
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping: the whole value is on one line

    result = CliRunner().invoke(app, ["config"])

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output and TOKEN not in result.output
    assert f"postgresql+psycopg://helpbot:{MASK}@db/helpbot" in result.output
    assert f"api_key={MASK}" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://u:p@w@h:5432/db", f"postgresql+psycopg://u:{MASK}@h:5432/db"),
        ("http://h:8080/v1", "http://h:8080/v1"),
        ("sqlite:////data/helpbot.db", "sqlite:////data/helpbot.db"),
        ("https://h/x?token=abc&page=2", f"https://h/x?token={MASK}&page=2"),
    ],
)
def test_mask_text(text: str, expected: str) -> None:
    assert mask_text(text) == expected
