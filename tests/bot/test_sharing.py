"""Fix 5: "Share in channel" checks every document the model read, not only the cited ones."""

from __future__ import annotations

from dataclasses import replace

import pytest

from knowledge.answering.answer_types import Answer, Asker, OnToken, Turn
from knowledge.retrieval import Passage
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, MANAGER, Bot
from tests.bot.fake_answers import DOCS, FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import buttons, response_url_calls

RESTRICTED = next(d for d in DOCS if d.audiences == ("managers",))


class ReadsRestrictedText(FakeAnswerService):
    """Cites an open document, but a managers-only passage was in the prompt too."""

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: OnToken | None = None,
    ) -> Answer:
        answer = super().answer(question, asker, history, on_token=on_token)
        extra = Passage(
            text=RESTRICTED.text,
            title=RESTRICTED.title,
            section=RESTRICTED.section,
            source_uri=RESTRICTED.source_uri,
            document_id=RESTRICTED.document_id,
            version=1,
            chunk_index=0,
            score=0.5,
            bm25_score=None,
            vector_score=0.5,
            review_by=RESTRICTED.review_by,
            stale=False,
        )
        return replace(answer, passages=(*answer.passages, extra))


@pytest.fixture
def answers() -> FakeAnswerService:
    return ReadsRestrictedText()


def test_an_answer_built_with_a_restricted_passage_is_not_shared(
    bot: Bot, slack: FakeSlackApi
) -> None:
    delivery = bot.sender.form(
        p.command(MANAGER, CHANNEL, "how much annual leave do I get?", slack.response_url("cmd"))
    )
    assert delivery.status == 200
    bot.drain()
    [exchange] = bot.exchanges()
    assert {c["document_id"] for c in exchange.citations} == {"annual-leave"}
    assert RESTRICTED.document_id in {q["document_id"] for q in exchange.passages}
    answer = response_url_calls(slack)[-1]
    assert "helpbot_share" not in buttons(answer["blocks"])  # type: ignore[arg-type]

    share = p.block_action(
        MANAGER,
        CHANNEL,
        "helpbot_share",
        exchange.reference,
        message_ts=None,
        response_url=slack.response_url("cmd"),
        ephemeral=True,
    )
    assert bot.sender.interaction(share).status == 200
    bot.drain()

    assert not slack.calls_to("chat.postMessage")
    assert "can't be shared here" in str(response_url_calls(slack)[-1]["text"])
