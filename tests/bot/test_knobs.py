"""Every knob of the bot is a HELPBOT_ variable, and each one reaches the running bot."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bot.app import build_runtime
from bot.deps import BotConfig, Deps, config_from_settings
from knowledge.db.connection import Database
from knowledge.settings import Settings
from tests.bot import slack_payloads as p
from tests.bot.conftest import MANAGER, BotFactory, Clock
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.environment import clean_environment  # noqa: F401 - autouse fixture

KNOBS = [
    ("SLACK_ANSWER_WORKERS", "3", "answer_workers", 3),
    ("SLACK_LISTENER_WORKERS", "5", "listener_workers", 5),
    ("SLACK_ANSWER_TIMEOUT_SECONDS", "30", "answer_timeout_s", 30.0),
    ("SLACK_STREAM_INTERVAL_SECONDS", "0.5", "stream_interval_s", 0.5),
    ("SLACK_STREAM_ROLLOVER_SECONDS", "100", "stream_rollover_s", 100.0),
    ("SLACK_HISTORY_TURNS", "2", "history_turns", 2),
    ("SLACK_ANSWER_BOTS", "true", "answer_bots", True),
    ("SLACK_MEMBERSHIP_TTL_SECONDS", "60", "membership_ttl_s", 60.0),
    (
        "SLACK_SUGGESTED_PROMPTS",
        '["Where is the handbook?"]',
        "suggested_prompts",
        ("Where is the handbook?",),
    ),
    ("SLACK_OUTBOX_MAX_ATTEMPTS", "9", "outbox_max_attempts", 9),
    ("SLACK_OUTBOX_RETRY_SECONDS", "15", "outbox_retry_s", 15.0),
    ("SLACK_OUTBOX_CLAIM_TIMEOUT_SECONDS", "90", "outbox_claim_timeout_s", 90.0),
]
"""(variable without the HELPBOT_ prefix, its value, the BotConfig field, what it becomes)."""


@pytest.mark.parametrize(("variable", "value", "field", "expected"), KNOBS)
def test_each_knob_is_read_from_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: Any
) -> None:
    assert getattr(config_from_settings(Settings()), field) != expected
    monkeypatch.setenv(f"HELPBOT_{variable}", value)
    assert getattr(config_from_settings(Settings()), field) == expected


def test_a_config_built_without_settings_is_the_default_settings_one() -> None:
    from_settings = asdict(config_from_settings(Settings()))
    bare = asdict(BotConfig(bot_token=""))
    assert {k: v for k, v in bare.items() if k != "instance_id"} == {
        k: v for k, v in from_settings.items() if k != "instance_id"
    }


@pytest.mark.parametrize(
    ("generator", "configured", "workers"),
    [("local", "0", 1), ("openai", "0", 4), ("extractive", "0", 4), ("local", "2", 2)],
)
def test_answer_workers_follow_the_generator_unless_set(
    monkeypatch: pytest.MonkeyPatch, generator: str, configured: str, workers: int
) -> None:
    monkeypatch.setenv("HELPBOT_GENERATOR", generator)
    monkeypatch.setenv("HELPBOT_SLACK_ANSWER_WORKERS", configured)
    assert config_from_settings(Settings()).answer_workers == workers


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLACK_SUGGESTED_PROMPTS", '["a?", "b?", "c?", "d?", "e?"]'),
        ("SLACK_LISTENER_WORKERS", "0"),
        ("SLACK_OUTBOX_MAX_ATTEMPTS", "0"),
        ("SLACK_HISTORY_TURNS", "-1"),
        ("SLACK_ANSWER_TIMEOUT_SECONDS", "soon"),
    ],
)
def test_a_bad_knob_value_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(f"HELPBOT_{variable}", value)
    with pytest.raises(ValidationError, match=variable.lower()):
        Settings()


def test_the_running_bot_is_built_from_the_variables(
    monkeypatch: pytest.MonkeyPatch,
    slack: FakeSlackApi,
    database: Database,
    answers: FakeAnswerService,
    clock: Clock,
) -> None:
    monkeypatch.setenv("HELPBOT_SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("HELPBOT_SLACK_API_URL", slack.api_url)
    for variable, value, _, _ in KNOBS:
        monkeypatch.setenv(f"HELPBOT_{variable}", value)
    runtime = build_runtime(Deps(config_from_settings(Settings()), database, answers, clock))
    try:
        assert (runtime.answer_pool.workers, runtime.listener_pool.workers) == (3, 5)
        outbox = runtime.outbox
        assert (outbox.max_attempts, outbox.retry_s) == (9, 15.0)
        assert outbox.claim_timeout == timedelta(seconds=90)
    finally:
        runtime.close()


def test_the_suggested_prompts_variable_reaches_a_new_assistant_thread(
    monkeypatch: pytest.MonkeyPatch, make_bot: BotFactory, slack: FakeSlackApi
) -> None:
    monkeypatch.setenv("HELPBOT_SLACK_SUGGESTED_PROMPTS", '["Where is the handbook?"]')
    bot = make_bot(suggested_prompts=config_from_settings(Settings()).suggested_prompts)
    thread_ts = p.next_ts()
    bot.sender.event(p.assistant_thread_started(MANAGER, "D0ASSIST", thread_ts))
    bot.drain()
    [prompts] = slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert [prompt["message"] for prompt in prompts.args["prompts"]] == ["Where is the handbook?"]


@pytest.mark.parametrize(
    ("argv", "address"),
    [(["--http"], ("127.0.0.1", 3999)), (["--http", "--port", "4000"], ("127.0.0.1", 4000))],
)
def test_http_mode_listens_where_the_variables_say_unless_told(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], address: tuple[str, int]
) -> None:
    import bot.__main__ as entry

    served: list[tuple[str, int]] = []
    monkeypatch.setattr(entry, "wait_for_database", lambda url, timeout_s: None)
    monkeypatch.setattr(entry, "build_deps", lambda settings: None)
    monkeypatch.setattr(entry, "readiness_checks", lambda settings: {})
    monkeypatch.setattr(
        entry, "run_http", lambda deps, host, port, checks: served.append((host, port))
    )
    monkeypatch.setenv("HELPBOT_SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("HELPBOT_SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("HELPBOT_SLACK_HTTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HELPBOT_SLACK_HTTP_PORT", "3999")
    assert entry.main(argv) == 0
    assert served == [address]
