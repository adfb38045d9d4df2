"""A month of helpbot use, simulated: employees ask, react by correctness, an admin corrects.

Employees ask the sample QA's questions (and casual rewordings of them) through the answer
engine the bot uses, and every exchange is recorded by the same store functions the bot's
question handler calls (`knowledge.db.conversations`), so curation reads exactly what a live
bot would have left behind. Each asker reacts to some answers: thumbs up when the answer holds
every key fact (or abstains on a question the handbook does not answer), thumbs down otherwise.
Only the Slack transport is left out; the bot's protocol tests cover that.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.questions import jsonable  # what the bot stores, byte for byte
from knowledge.answering.answer_quality import judge
from knowledge.answering.answer_types import Answer, AnswerService, Asker
from knowledge.db import conversations as store
from knowledge.db.connection import Database
from knowledge.qa_harness import QAItem, contains_fact

# Ways people actually type a question into Slack: the facts asked for stay the same.
OPENERS = ("", "", "hey, ", "quick question: ", "hi helpbot! ", "sorry if this is obvious, ")
CLOSERS = ("", "", " thanks!", " 🙏", " (asking for my team)")


@dataclass(frozen=True)
class SimulatedExchange:
    """One recorded exchange and what the simulated people did with it."""

    exchange_id: int
    item: QAItem
    question: str
    correct: bool
    vote: int  # +1, -1, or 0 (no reaction)


def casual(question: str, rng: random.Random) -> str:
    """The question as an employee might type it: an opener, lower case, a closer."""
    text = question[0].lower() + question[1:] if rng.random() < 0.5 else question
    return f"{rng.choice(OPENERS)}{text}{rng.choice(CLOSERS)}".strip()


def record(db: Database, *, user: str, question: str, answer: Answer, at: datetime, n: int) -> int:
    """Store one question and its answer as the bot's question handler does; the exchange id."""
    with db.session() as session:
        conversation = store.open_conversation(
            session,
            team_id="T0SIM",
            channel_id="D0SIM" + user[-3:],
            thread_ts=f"{at.timestamp():.6f}",
            kind="dm",
            started_by=user,
            now=at,
        )
        exchange = store.add_exchange(
            session,
            conversation_id=conversation.id,
            reference=f"sim-{n:05d}",
            source="dm",
            asker_id=user,
            question=question,
            question_ts=f"{at.timestamp():.6f}",
            visibility="thread",
            now=at,
            audiences=("everyone",),
        )
        store.record_answer(
            session,
            exchange.id,
            status="abstained" if answer.abstained else "answered",
            audiences=("everyone",),
            answer=answer.text,
            standalone_question=answer.standalone_question,
            citations=jsonable(list(answer.citations)),
            passages=jsonable(list(answer.passages)),
            confidence=answer.confidence,
            abstained=answer.abstained,
            grounding_failed=answer.grounding_failed,
            note=answer.note,
            model_version=answer.model_version,
            timings=answer.timings,
            now=at,
        )
        return exchange.id


def vote(db: Database, exchange_id: int, user: str, value: int, at: datetime) -> None:
    with db.session() as session:
        store.save_vote(
            session,
            exchange_id=exchange_id,
            user_id=user,
            value=value,
            source="reaction",
            reactions=["+1" if value > 0 else "-1"],
            correction=None,
            now=at,
        )


def simulate_month(
    db: Database,
    answers: AnswerService,
    pool: Sequence[QAItem],
    *,
    days: int = 30,
    per_day: tuple[int, int] = (6, 14),
    employees: int = 40,
    react_rate: float = 0.6,
    seed: int = 7,
    start: datetime | None = None,
) -> list[SimulatedExchange]:
    """Ask, record and react for `days` days; what happened, in order."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 1, 9, tzinfo=UTC)
    happened: list[SimulatedExchange] = []
    for day in range(days):
        for _ in range(rng.randint(*per_day)):
            item = rng.choice(pool)
            user = f"U0SIM{rng.randrange(employees):03d}"
            at = start + timedelta(days=day, minutes=rng.randrange(8 * 60))
            question = casual(item.question, rng)
            answer = answers.answer(question, Asker(user, ("everyone",)))
            n = len(happened)
            exchange_id = record(db, user=user, question=question, answer=answer, at=at, n=n)
            correct = judge(item, answer).passed
            value = 0
            if rng.random() < react_rate:
                value = 1 if correct else -1
                vote(db, exchange_id, user, value, at + timedelta(minutes=2))
            happened.append(SimulatedExchange(exchange_id, item, question, correct, value))
    return happened


def admin_correction(
    item: QAItem, passages: Sequence[dict[str, Any]], abstention: str
) -> str | None:
    """What an admin who knows the right answer writes for a thumbs-down exchange.

    Unanswerable questions get the abstention reply. Otherwise the admin quotes the sentence of a
    passage the bot was shown that states every key fact, with its citation marker; when the bot
    never saw such a passage, None: that is a knowledge or retrieval gap, not a training example.
    """
    if not item.answerable:
        return abstention
    for number, passage in enumerate(passages[:3], start=1):
        text = str(passage.get("text", ""))
        for sentence in _sentences(text):
            if all(contains_fact(sentence, fact) for fact in item.answer_must_contain):
                return f"{sentence.strip()} [{number}]"
    return None


def _sentences(text: str) -> list[str]:
    import re

    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.split()) >= 3]
