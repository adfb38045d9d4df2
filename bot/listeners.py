"""Slack listeners: `register(app, handlers)` wires them; each handler parses and delegates."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Assistant, BoltContext
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from bot import blocks, events
from bot.deps import BotConfig
from bot.feedback import FeedbackFlow
from bot.greeting import Greeter
from bot.questions import QuestionFlow, new_reference
from bot.sharing import share_answer
from bot.slack_api import SlackApi
from knowledge.db import documents as registry
from knowledge.db.connection import Database
from knowledge.db.opt_outs import is_opted_out, set_opt_out
from knowledge.stores.base import EVERYONE

log = logging.getLogger(__name__)


class NoThreadContextStore(AssistantThreadContextStore):
    """The channel a user views beside the assistant is not used: keep Bolt's default store
    from reading thread history (conversations.replies) to look it up."""

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        return None

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        return None


@dataclass
class Handlers:
    """Short listener functions; the work happens in the flows they call."""

    config: BotConfig
    db: Database
    api: SlackApi
    questions: QuestionFlow
    feedback: FeedbackFlow
    greeter: Greeter

    # --- questions ----------------------------------------------------------------------------
    def mention(self, body: dict[str, Any], context: BoltContext) -> None:
        question = events.question_from_mention(
            body, context.bot_user_id or "", answer_bots=self.config.answer_bots
        )
        if question is not None:
            self._ask(question)

    def message(self, body: dict[str, Any], context: BoltContext) -> None:
        question = events.question_from_message(
            body, context.bot_user_id or "", answer_bots=self.config.answer_bots
        )
        if question is not None:
            self._ask(question)

    def assistant_message(self, body: dict[str, Any], context: BoltContext) -> None:
        question = events.question_from_assistant_message(body, context.bot_user_id or "")
        if question is not None:
            self._ask(question)

    def ask_command(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        question = events.question_from_command(body)
        if not question.text:
            self._tell(
                body,
                "Ask a question after the command, e.g. `/ask how much leave do I "
                "get?` Only you will see the answer.",
            )
            return
        self._ask(question)

    def _ask(self, question: events.Question) -> None:
        try:
            self.questions.ask(question)
        except Exception as error:  # never silent: even a broken database gets a reply
            reference = new_reference()
            log.error(
                "question %s could not be accepted: %s",
                reference,
                type(error).__name__,
                exc_info=error,
            )
            text = blocks.error_text("error", reference, self.config.help_contact)
            try:
                if question.response_url:
                    self.api.respond(question.response_url, text)
                else:
                    self.api.post_message(question.channel_id, text, thread_ts=question.thread_ts)
            except Exception as reply_error:
                log.error(
                    "question %s: the error reply failed too: %s",
                    reference,
                    type(reply_error).__name__,
                )

    # --- assistant threads --------------------------------------------------------------------
    def assistant_thread_started(self, body: dict[str, Any]) -> None:
        thread = body["event"]["assistant_thread"]
        self.greeter.assistant_thread_started(
            team_id=str(body.get("team_id") or ""),
            channel_id=thread["channel_id"],
            thread_ts=thread["thread_ts"],
            user_id=thread.get("user_id", ""),
            event_id=body.get("event_id"),
        )

    def ignore(self) -> None:
        return None

    # --- feedback -----------------------------------------------------------------------------
    def reaction(self, body: dict[str, Any]) -> None:
        reaction = events.reaction_from_event(body)
        if reaction is not None:
            self.feedback.on_reaction(reaction)

    def vote_up(self, ack: Ack, body: dict[str, Any]) -> None:
        """Legacy 'Helpful' button (answers posted before feedback_buttons)."""
        ack()
        self._vote(body, body["actions"][0]["value"], +1)

    def vote_down(self, ack: Ack, body: dict[str, Any]) -> None:
        """Legacy 'Not helpful / wrong' button."""
        ack()
        self._vote(body, body["actions"][0]["value"], -1)

    def feedback_button(self, ack: Ack, body: dict[str, Any]) -> None:
        """Slack's feedback buttons: value 'up:<ref>' or 'down:<ref>'."""
        ack()
        direction, _, reference = str(body["actions"][0].get("value") or "").partition(":")
        if direction not in ("up", "down") or not reference:
            log.info("feedback button with an unknown value ignored")
            return
        self._vote(body, reference, +1 if direction == "up" else -1)

    def _vote(self, body: dict[str, Any], reference: str, value: int) -> None:
        """One vote per person per answer (pressed again: taken back); a 'not helpful' vote
        opens the correction form while the trigger id is fresh."""
        state = self.feedback.on_button(reference, body["user"]["id"], value)
        if value < 0 and state is not None and state.value < 0:
            metadata = {"channel": _channel(body), "thread_ts": _thread(body) or ""}
            modal = blocks.correction_modal(
                reference, self.feedback.question_of(reference), metadata
            )
            try:
                self.api.open_view(body["trigger_id"], modal)
                return
            except Exception as error:
                log.warning("correction modal for %s failed: %s", reference, type(error).__name__)
        if state is None and self.feedback.question_of(reference) == "":
            self._tell(body, blocks.unknown_answer_text())
            return
        self._tell(body, blocks.vote_ack_text(state.value if state else None))

    def correction(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        metadata = json.loads(view.get("private_metadata") or "{}")
        value = view["state"]["values"][blocks.CORRECTION_BLOCK][blocks.CORRECTION_INPUT]
        user = body["user"]["id"]
        if self.feedback.on_correction(metadata.get("ref", ""), user, value.get("value") or ""):
            try:
                self.api.post_ephemeral(
                    metadata["channel"],
                    user,
                    "Thanks! Your correction was saved for review.",
                    thread_ts=metadata.get("thread_ts") or None,
                )
            except Exception as error:
                log.info("correction thanks not shown: %s", type(error).__name__)

    def share(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        problem = share_answer(
            self.db,
            self.api,
            reference=body["actions"][0]["value"],
            user_id=body["user"]["id"],
            channel_id=_channel(body),
            response_url=body.get("response_url"),
            help_contact=self.config.help_contact,
        )
        if problem:
            self._tell(body, problem)

    def _tell(self, body: dict[str, Any], text: str) -> None:
        """A short ephemeral note to whoever clicked or typed."""
        user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
        ephemeral = "command" in body or (body.get("container") or {}).get("is_ephemeral")
        try:
            if ephemeral and body.get("response_url"):
                self.api.respond(body["response_url"], text)
            else:
                self.api.post_ephemeral(_channel(body), user, text, thread_ts=_thread(body))
        except Exception as error:
            log.info("ephemeral note not shown: %s", type(error).__name__)

    # --- App Home -----------------------------------------------------------------------------
    def home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "messages":
            self.greeter.messages_tab_opened(
                team_id=str(body.get("team_id") or ""),
                user_id=str(event.get("user") or ""),
                channel_id=str(event.get("channel") or ""),
                event_id=body.get("event_id"),
            )
        elif event.get("tab") == "home":
            self._publish_home(event["user"])

    def _publish_home(self, user_id: str) -> None:
        with self.db.session() as session:
            documents = [
                blocks.HomeDocument(d.title, d.review_by, d.status == "stale")
                for d in registry.list_all(session)
                if d.live_version is not None
                and d.status in registry.SERVED_STATUSES
                and EVERYONE in (d.audiences or [])
            ]
            opted_out = is_opted_out(session, user_id)
        view = blocks.home_view(
            documents,
            self.config.feedback_emoji,
            self.config.help_contact,
            privacy=blocks.Privacy(opted_out, self.config.training_consent),
        )
        self.api.publish_home(user_id, view)

    def opt_out(self, ack: Ack, body: dict[str, Any]) -> None:
        """The App Home switch: never use my questions and votes for training (or again)."""
        ack()
        user = body["user"]["id"]
        opted_out = body["actions"][0]["action_id"] == blocks.OPT_OUT
        with self.db.session() as session:
            set_opt_out(session, user, opted_out, now=None)
        log.info("training opt-out changed by %s", user)
        self._publish_home(user)


def _channel(body: dict[str, Any]) -> str:
    return str(
        (body.get("channel") or {}).get("id")
        or body.get("channel_id")
        or (body.get("container") or {}).get("channel_id")
        or ""
    )


def _thread(body: dict[str, Any]) -> str | None:
    message = body.get("message") or {}
    return message.get("thread_ts") or message.get("ts")


def register(app: App, handlers: Handlers) -> None:
    """Wire every listener (Bolt acknowledges events at once; handlers run after the ack)."""
    assistant = Assistant(thread_context_store=NoThreadContextStore())
    assistant.thread_started(handlers.assistant_thread_started)
    assistant.thread_context_changed(handlers.ignore)
    assistant.user_message(handlers.assistant_message)
    app.use(assistant)

    app.event("app_mention")(handlers.mention)
    app.event("message")(handlers.message)
    app.event("reaction_added")(handlers.reaction)
    app.event("reaction_removed")(handlers.reaction)
    app.event("app_home_opened")(handlers.home)
    app.command("/ask")(handlers.ask_command)
    app.action(blocks.FEEDBACK)(handlers.feedback_button)
    app.action(blocks.VOTE_UP)(handlers.vote_up)
    app.action(blocks.VOTE_DOWN)(handlers.vote_down)
    app.action(blocks.OPT_OUT)(handlers.opt_out)
    app.action(blocks.OPT_IN)(handlers.opt_out)
    app.action(blocks.SHARE)(handlers.share)
    app.view(blocks.CORRECTION_VIEW)(handlers.correction)
