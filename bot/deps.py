"""What the Slack app is built from: plain configuration values and the adapters it calls."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.trust import unknown_rate
from knowledge.answering.answer_types import AnswerService
from knowledge.db.connection import Database
from knowledge.settings import Settings, setting_default


def utcnow() -> datetime:
    return datetime.now(UTC)


def answer_workers(configured: int, generator: str) -> int:
    """Answers generated at once: the configured number, or when it is 0, one for the local
    generator and four for a model server or the extractive answerer. A local model generates
    one answer at a time per device and counts time spent waiting for it against the
    generation timeout: questions queue in the bot instead, where the placeholder can say
    how many are ahead."""
    if configured > 0:
        return configured
    return 1 if generator == "local" else 4


def replica_id() -> str:
    """host:pid, recorded with every event a replica claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class BotConfig:
    """Plain values the bot needs (from Settings in the composition root; literals in tests)."""

    bot_token: str
    """xoxb- token."""
    signing_secret: str = ""
    """Verifies HTTP-mode requests (Socket Mode does not need it)."""
    app_token: str = ""
    """xapp- token for Socket Mode."""
    api_url: str = setting_default("slack_api_url")
    """Base URL of the Slack Web API (a local fake in tests)."""
    audience_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Slack user-group (S...) or channel (C.../G...) id -> audiences its members may see."""
    feedback_emoji: Mapping[str, int] = field(
        default_factory=lambda: setting_default("feedback_emoji")
    )
    """Reaction name -> +1 / -1."""
    rate_limit_per_minute: int = setting_default("rate_limit_per_minute")
    """Questions one person may ask per minute."""
    help_contact: str = setting_default("help_contact")
    """Where people are sent when the bot cannot help."""
    answer_workers: int = field(
        default_factory=lambda: answer_workers(
            setting_default("slack_answer_workers"), setting_default("generator")
        )
    )
    """Answers generated at once; more questions wait in a queue (acks never wait)."""
    listener_workers: int = setting_default("slack_listener_workers")
    """Threads that run Slack listeners after the acknowledgement (quick work only)."""
    answer_timeout_s: float = setting_default("slack_answer_timeout_seconds")
    """After this long the asker is told the answer is late (it still arrives)."""
    stream_interval_s: float = setting_default("slack_stream_interval_seconds")
    """Minimum seconds between two text updates while an answer streams."""
    streaming: bool = setting_default("slack_streaming")
    """Show answers through Slack's native stream (steps, then the answer); chat.update when
    off or when Slack refuses to stream."""
    stream_text_min_pass_rate: float = setting_default("slack_stream_text_min_grounding_pass_rate")
    """Answer text streams before its check only from a model whose evaluated grounding-pass
    rate is at least this; otherwise only the steps stream and the checked answer follows."""
    training_consent: bool = setting_default("slack_training_consent")
    """An admin allowed training on Slack conversations (the App Home says so)."""
    stream_rollover_s: float = setting_default("slack_stream_rollover_seconds")
    """A stream open this long goes on in a new message (Slack stops streams at ~5 min)."""
    history_turns: int = setting_default("slack_history_turns")
    """Earlier question/answer pairs of the thread passed to the engine."""
    answer_bots: bool = setting_default("slack_answer_bots")
    """Answer messages from other bots (never the bot's own)."""
    membership_ttl_s: float = setting_default("slack_membership_ttl_seconds")
    """How long group and channel memberships are cached for audience checks."""
    suggested_prompts: tuple[str, ...] = tuple(setting_default("slack_suggested_prompts"))
    """Prompts offered in a new assistant thread."""
    instance_id: str = field(default_factory=replica_id)
    """This replica's name in the de-duplication table (and on the notifications it claims)."""
    outbox_poll_s: float = setting_default("slack_outbox_poll_seconds")
    """Seconds between two looks at the owners' notification outbox; 0 turns delivery off."""
    outbox_max_attempts: int = setting_default("slack_outbox_max_attempts")
    """Attempts at one notification (rate limits and network errors count) before it fails."""
    outbox_retry_s: float = setting_default("slack_outbox_retry_seconds")
    """Wait after a network or Slack server error; doubled each attempt, at most an hour."""
    outbox_claim_timeout_s: float = setting_default("slack_outbox_claim_timeout_seconds")
    """A notification left 'sending' this long (its replica died mid-send) is claimed again."""


@dataclass
class Deps:
    """Everything `build_app` needs; library code never reads the environment."""

    config: BotConfig
    db: Database
    answers: AnswerService
    clock: Callable[[], datetime] = utcnow
    """Now, in UTC: stamps rows and drives the rate limit and streaming pace."""
    sleep: Callable[[float], None] = time.sleep
    """How to wait out a Slack 429 Retry-After (tests record instead of sleeping)."""
    grounding_pass_rate: Callable[[], float | None] = unknown_rate
    """The answering model's evaluated grounding-pass rate (None: unknown, no text streams)."""


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter else ""


def config_from_settings(settings: Settings) -> BotConfig:
    """The bot's configuration from the one Settings object (called by entry points only)."""
    return BotConfig(
        bot_token=_secret(settings.slack_bot_token),
        app_token=_secret(settings.slack_app_token),
        signing_secret=_secret(settings.slack_signing_secret),
        api_url=settings.slack_api_url,
        audience_map={k: tuple(v) for k, v in settings.slack_audience_map.items()},
        feedback_emoji=dict(settings.feedback_emoji),
        rate_limit_per_minute=settings.rate_limit_per_minute,
        help_contact=settings.help_contact,
        outbox_poll_s=settings.slack_outbox_poll_seconds,
        streaming=settings.slack_streaming,
        training_consent=settings.slack_training_consent,
        stream_text_min_pass_rate=settings.slack_stream_text_min_grounding_pass_rate,
        answer_workers=answer_workers(settings.slack_answer_workers, settings.generator),
        listener_workers=settings.slack_listener_workers,
        answer_timeout_s=settings.slack_answer_timeout_seconds,
        stream_interval_s=settings.slack_stream_interval_seconds,
        stream_rollover_s=settings.slack_stream_rollover_seconds,
        history_turns=settings.slack_history_turns,
        answer_bots=settings.slack_answer_bots,
        membership_ttl_s=settings.slack_membership_ttl_seconds,
        suggested_prompts=tuple(settings.slack_suggested_prompts),
        outbox_max_attempts=settings.slack_outbox_max_attempts,
        outbox_retry_s=settings.slack_outbox_retry_seconds,
        outbox_claim_timeout_s=settings.slack_outbox_claim_timeout_seconds,
    )
