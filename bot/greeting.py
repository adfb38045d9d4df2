"""Greeting people where they talk to the app: the agent messages tab and legacy assistant
threads (a greeting once, suggested prompts)."""

from __future__ import annotations

import logging

from bot import blocks
from bot.deps import Deps
from bot.slack_api import SlackApi
from knowledge.db import conversations as store

log = logging.getLogger(__name__)

GREETED = "messages-tab"
"""thread_ts of the marker conversation that says a messages tab was greeted."""
PROMPTS_TITLE = "Try asking"


class Greeter:
    """Greets once per conversation with the app and offers suggested prompts."""

    def __init__(self, deps: Deps, api: SlackApi) -> None:
        self.deps = deps
        self.config = deps.config
        self.api = api

    def _claim(self, key: str, kind: str, event_id: str | None) -> bool:
        with self.deps.db.session() as session:
            return store.claim_event(
                session,
                key=key,
                kind=kind,
                event_id=event_id,
                handled_by=self.config.instance_id,
                now=self.deps.clock(),
            )

    def messages_tab_opened(
        self, *, team_id: str, user_id: str, channel_id: str, event_id: str | None
    ) -> bool:
        """The person opened the app's messages tab: suggested prompts every time (no thread:
        the agent experience), the greeting only the first time. True when greeted."""
        if event_id and not self._claim(f"event:{event_id}", "app_home_opened", event_id):
            return False
        self._suggest(channel_id, None)
        now = self.deps.clock()
        with self.deps.db.session() as session:
            marker = store.find_conversation(
                session, team_id=team_id, channel_id=channel_id, thread_ts=GREETED
            )
            if marker is not None:
                return False
            store.open_conversation(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=GREETED,
                kind="greeting",
                started_by=user_id,
                now=now,
            )
        try:
            self.api.post_message(channel_id, blocks.GREETING)
        except Exception as error:
            log.warning("greeting in %s failed: %s", channel_id, type(error).__name__)
            return False
        return True

    def assistant_thread_started(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        user_id: str,
        event_id: str | None,
    ) -> None:
        """A new legacy assistant-panel thread: remember it, greet, offer suggested prompts."""
        if event_id and not self._claim(f"event:{event_id}", "assistant_thread_started", event_id):
            return
        with self.deps.db.session() as session:
            store.open_conversation(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                kind="assistant",
                started_by=user_id,
                now=self.deps.clock(),
            )
        try:
            self.api.post_message(channel_id, blocks.GREETING, thread_ts=thread_ts)
        except Exception as error:
            log.warning("greeting in thread %s failed: %s", thread_ts, type(error).__name__)
        self._suggest(channel_id, thread_ts)

    def _suggest(self, channel_id: str, thread_ts: str | None) -> None:
        if not self.config.suggested_prompts:
            return
        try:
            self.api.set_suggested_prompts(
                channel_id, thread_ts, self.config.suggested_prompts, PROMPTS_TITLE
            )
        except Exception as error:
            log.info("suggested prompts in %s not set: %s", channel_id, type(error).__name__)
