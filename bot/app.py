"""Building the Slack app from Deps, and running it in Socket Mode or HTTP mode."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from slack_bolt import App

from bot.audiences import AudienceResolver
from bot.deps import Deps
from bot.feedback import FeedbackFlow
from bot.greeting import Greeter
from bot.listeners import Handlers, NoThreadContextStore, register
from bot.outbox import OutboxDeliverer
from bot.questions import QuestionFlow
from bot.slack_api import SlackApi, make_outbox_client, make_web_client
from bot.workers import CountingExecutor
from knowledge.db import conversations as store
from knowledge.observability import Check
from knowledge.settings import Settings, setting_default

log = logging.getLogger(__name__)

EVENT_MEMORY = timedelta(days=2)
"""Claims older than this are pruned at start-up (Slack retries within minutes)."""


@dataclass
class Runtime:
    """A built app with the worker pools behind it, and the owner-notification deliverer
    (started by the run functions, not by building)."""

    app: App
    questions: QuestionFlow
    feedback: FeedbackFlow
    listener_pool: CountingExecutor
    answer_pool: CountingExecutor
    outbox: OutboxDeliverer

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until no listener or answer is running or queued (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = max(0.0, deadline - time.monotonic())
            idle = self.listener_pool.wait_idle(left) and self.answer_pool.wait_idle(left)
            if idle and self.listener_pool.busy == 0:  # no listener queued an answer meanwhile
                return True
        return False

    def close(self) -> None:
        self.outbox.stop()
        self.listener_pool.shutdown(wait=True, cancel_futures=True)
        self.answer_pool.shutdown(wait=True, cancel_futures=True)


def build_runtime(deps: Deps) -> Runtime:
    """The Bolt app with every listener registered; calls auth.test once to learn who it is."""
    config = deps.config
    client = make_web_client(config.bot_token, config.api_url, deps.sleep)
    listener_pool = CountingExecutor(config.listener_workers, "helpbot-listener")
    answer_pool = CountingExecutor(config.answer_workers, "helpbot-answer")
    app = App(
        name="helpbot",
        client=client,
        signing_secret=config.signing_secret,
        process_before_response=False,  # ack first; listeners run after it
        listener_executor=listener_pool,
        assistant_thread_context_store=NoThreadContextStore(),
    )
    api = SlackApi(client, deps.sleep)
    audiences = AudienceResolver(
        api, config.audience_map, ttl_s=config.membership_ttl_s, clock=deps.clock
    )
    questions = QuestionFlow(deps, api, audiences, answer_pool)
    feedback = FeedbackFlow(deps)
    register(app, Handlers(config, deps.db, api, questions, feedback, Greeter(deps, api)))
    return Runtime(app, questions, feedback, listener_pool, answer_pool, build_outbox(deps))


def build_outbox(deps: Deps) -> OutboxDeliverer:
    """The deliverer of owner notifications, with a client that leaves retries to it."""
    config = deps.config
    return OutboxDeliverer(
        deps.db,
        SlackApi(make_outbox_client(config.bot_token, config.api_url), deps.sleep),
        holder=config.instance_id,
        clock=deps.clock,
        poll_s=config.outbox_poll_s,
        max_attempts=config.outbox_max_attempts,
        retry_s=config.outbox_retry_s,
        claim_timeout_s=config.outbox_claim_timeout_s,
    )


def missing_tokens(settings: Settings, *, http: bool = False) -> list[str]:
    """The environment variables still needed to connect to Slack (empty: ready)."""
    needed = {"HELPBOT_SLACK_BOT_TOKEN": settings.slack_bot_token}
    if http:
        needed["HELPBOT_SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
    else:
        needed["HELPBOT_SLACK_APP_TOKEN"] = settings.slack_app_token
    return [
        name
        for name, value in needed.items()
        if value is None or not value.get_secret_value().strip()
    ]


def _prune(deps: Deps) -> None:
    with deps.db.session() as session:
        removed = store.prune_events(session, before=deps.clock() - EVENT_MEMORY)
    log.debug("pruned %d old event claims", removed)


def run_socket_mode(deps: Deps, stop: threading.Event | None = None) -> None:
    """Connect to Slack over a WebSocket (no public URL needed) and serve until `stop` is set
    (or forever, until interrupted); owner notifications are delivered meanwhile."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    _prune(deps)
    runtime = build_runtime(deps)
    handler = SocketModeHandler(runtime.app, app_token=deps.config.app_token)
    try:
        log.info("helpbot connecting to Slack in Socket Mode")
        handler.connect()
        runtime.outbox.start()
        (stop or threading.Event()).wait()
    finally:
        handler.close()
        runtime.close()


def run_http(
    deps: Deps,
    host: str = setting_default("slack_http_host"),
    port: int = setting_default("slack_http_port"),
    checks: Mapping[str, Check] | None = None,
) -> None:
    """Serve Slack's requests on http://host:port/slack/events (one replica of several) until
    interrupted, with /healthz, /readyz (running `checks`, e.g.
    `knowledge.observability.readiness_checks`) and /metrics beside them; owner notifications
    are delivered meanwhile."""
    from bot.http_server import serve

    _prune(deps)
    runtime = build_runtime(deps)
    runtime.outbox.start()
    try:
        log.info("helpbot serving Slack requests on %s:%d/slack/events", host, port)
        serve(runtime.app, host, port, checks)
    finally:
        runtime.close()
