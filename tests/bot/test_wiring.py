"""Wiring for the entry points: missing tokens, settings to config, the manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from bot.__main__ import main
from bot.app import missing_tokens
from bot.deps import config_from_settings
from knowledge.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_missing_tokens_name_the_variables(settings: Settings) -> None:
    assert missing_tokens(settings) == ["HELPBOT_SLACK_BOT_TOKEN", "HELPBOT_SLACK_APP_TOKEN"]
    assert missing_tokens(settings, http=True) == [
        "HELPBOT_SLACK_BOT_TOKEN",
        "HELPBOT_SLACK_SIGNING_SECRET",
    ]
    ready = settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-1"),
            "slack_app_token": SecretStr("xapp-1"),
            "slack_signing_secret": SecretStr(" "),
        }
    )
    assert missing_tokens(ready) == []
    assert missing_tokens(ready, http=True) == ["HELPBOT_SLACK_SIGNING_SECRET"]


def test_python_m_bot_says_what_is_missing(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--http", "--port", "3999"]) == 2
    error = capsys.readouterr().err
    assert "HELPBOT_SLACK_BOT_TOKEN" in error and "HELPBOT_SLACK_SIGNING_SECRET" in error


def test_config_from_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("HELPBOT_SLACK_BOT_TOKEN", "xoxb-123")
    monkeypatch.setenv("HELPBOT_SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("HELPBOT_SLACK_AUDIENCE_MAP", '{"S1": ["hr"], "C2": ["it", "ops"]}')
    monkeypatch.setenv("HELPBOT_RATE_LIMIT_PER_MINUTE", "3")
    monkeypatch.setenv("HELPBOT_SLACK_OUTBOX_POLL_SECONDS", "0")
    config = config_from_settings(Settings())
    assert config.bot_token == "xoxb-123" and config.app_token == ""
    assert config.api_url == "http://127.0.0.1:9/api/"
    assert config.audience_map == {"S1": ("hr",), "C2": ("it", "ops")}
    assert config.rate_limit_per_minute == 3
    assert config.outbox_poll_s == 0.0 and config.outbox_max_attempts == 5
    assert config.feedback_emoji["+1"] == 1 and config.feedback_emoji["x"] == -1
    # Safe defaults: streaming on, unchecked text only from a well-evaluated model, no
    # training on Slack conversations until an admin allows it.
    assert config.streaming is True and config.stream_text_min_pass_rate == 0.95
    assert config.training_consent is False
    monkeypatch.setenv("HELPBOT_SLACK_STREAMING", "false")
    monkeypatch.setenv("HELPBOT_SLACK_TRAINING_CONSENT", "true")
    monkeypatch.setenv("HELPBOT_SLACK_STREAM_TEXT_MIN_GROUNDING_PASS_RATE", "0.8")
    config = config_from_settings(Settings())
    assert config.streaming is False and config.training_consent is True
    assert config.stream_text_min_pass_rate == 0.8
    monkeypatch.setenv("HELPBOT_SLACK_STREAM_TEXT_MIN_GROUNDING_PASS_RATE", "1.5")
    with pytest.raises(ValueError, match="less than or equal to 1"):
        Settings()


def test_manifest_matches_what_the_bot_listens_to() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text())
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    events = set(settings["event_subscriptions"]["bot_events"])
    assert {
        "app_mention",
        "message.im",
        "message.channels",
        "message.groups",
        "reaction_added",
        "reaction_removed",
        "app_home_opened",
    } <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "chat:write",
        "im:history",
        "channels:history",
        "groups:history",
        "reactions:read",
        "commands",
        "assistant:write",
        "usergroups:read",
        "im:write",  # conversations.open for owner nudges
        "users:read",
        "users:read.email",  # users.lookupByEmail for owners named by email
    } <= scopes
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    # The agent experience (messages tab); the legacy assistant panel is documented in it.
    assert manifest["features"]["agent_view"]["suggested_prompts"]
    assert "assistant_view" not in manifest["features"]
