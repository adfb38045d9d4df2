"""Recording feedback: reactions, buttons and corrections become one vote per person per answer."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from bot import vote_rules
from bot.deps import Deps
from bot.events import Reaction
from bot.vote_rules import VoteState
from knowledge.db import conversations as store

log = logging.getLogger(__name__)

Rule = Callable[[VoteState | None], VoteState | None]


class FeedbackFlow:
    """Applies the pure feedback rules to the votes stored in the database."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.emoji = dict(deps.config.feedback_emoji)

    def on_reaction(self, reaction: Reaction) -> bool:
        """A feedback emoji on one of the bot's answers; False when it is not feedback."""
        if vote_rules.reaction_value(self.emoji, reaction.name) is None:
            return False
        now = self.deps.clock()
        with self.deps.db.session() as session:
            exchange = store.exchange_by_message(
                session, channel_id=reaction.channel_id, ts=reaction.ts
            )
            if exchange is None:  # a reaction on some other message
                return False
            if reaction.event_id and not store.claim_event(
                session,
                key=f"event:{reaction.event_id}",
                kind="reaction",
                event_id=reaction.event_id,
                handled_by=self.deps.config.instance_id,
                now=now,
            ):
                return False
            if reaction.added:
                self._apply(
                    session,
                    exchange.id,
                    reaction.user_id,
                    lambda s: vote_rules.reaction_added(s, reaction.name, self.emoji),
                )
            else:
                self._apply(
                    session,
                    exchange.id,
                    reaction.user_id,
                    lambda s: vote_rules.reaction_removed(s, reaction.name, self.emoji),
                )
            log.info("reaction vote on %s by %s", exchange.reference, reaction.user_id)
        return True

    def on_button(self, reference: str, user_id: str, value: int) -> VoteState | None:
        """A feedback button; returns the person's vote afterwards (None: taken back)."""
        with self.deps.db.session() as session:
            exchange = store.exchange_by_reference(session, reference)
            if exchange is None:
                return None
            state = self._apply(
                session,
                exchange.id,
                user_id,
                lambda s: vote_rules.button_pressed(s, value, self.emoji),
            )
            log.info("button vote on %s by %s", reference, user_id)
            return state

    def on_correction(self, reference: str, user_id: str, text: str) -> bool:
        with self.deps.db.session() as session:
            exchange = store.exchange_by_reference(session, reference)
            if exchange is None:
                return False
            self._apply(
                session, exchange.id, user_id, lambda s: vote_rules.correction_sent(s, text)
            )
            log.info("correction on %s by %s", reference, user_id)
            return True

    def question_of(self, reference: str) -> str:
        with self.deps.db.session() as session:
            exchange = store.exchange_by_reference(session, reference)
            return exchange.question if exchange else ""

    def _apply(
        self, session: Session, exchange_id: int, user_id: str, rule: Rule
    ) -> VoteState | None:
        vote = store.get_vote(session, exchange_id, user_id)
        before = (
            VoteState(vote.value, vote.source, tuple(vote.reactions or ()), vote.correction)
            if vote is not None
            else None
        )
        after = rule(before)
        if after == before:
            return after
        if after is None:
            store.delete_vote(session, exchange_id, user_id)
        else:
            store.save_vote(
                session,
                exchange_id=exchange_id,
                user_id=user_id,
                value=after.value,
                source=after.source,
                reactions=after.reactions,
                correction=after.correction,
                now=self.deps.clock(),
            )
        return after
