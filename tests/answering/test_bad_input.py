"""Questions as people really type them: never a crash, a sensible answer or an honest refusal."""

from __future__ import annotations

import pytest

from knowledge.answering.answer_engine import AnswerEngine
from knowledge.answering.answer_types import Asker
from knowledge.answering.question import plain_question
from knowledge.services import Services

EVERYONE = Asker("t", ("everyone",))
ANNUAL = "How many days of annual leave do I get?"


def test_chat_markup_is_not_part_of_the_question() -> None:
    typed = "<@U0123ABC> how many days off? :palm_tree: 🏖️ see <#C01|people-ops> or <https://x.org/f|the form> &amp; more"  # noqa: E501
    assert plain_question(typed) == "how many days off? see #people-ops or the form & more"
    assert plain_question(":tada: <@U1>") == ""


def test_a_mention_and_emoji_get_the_same_answer_as_the_plain_question(kb: Services) -> None:
    engine = AnswerEngine(kb.retriever, None)
    plain = engine.answer(ANNUAL, EVERYONE)
    decorated = engine.answer(f"<@U0BOT> {ANNUAL} :palm_tree: 🙏", EVERYONE)
    assert decorated.text == plain.text and "25 working days" in decorated.text


@pytest.mark.parametrize(
    "question",
    [
        "leave",  # one word
        "what is it?",  # only stop words
        "¿Cuántos días de vacaciones tengo al año?",  # another language
        "how many days of anual leeve do i get",  # typos
        "?!",  # no words at all
        ":wave: <@U0BOT>",  # only markup
        "x" * 5000,  # far too long
    ],
)
def test_bad_input_is_answered_with_sources_or_refused_honestly(
    kb: Services, question: str
) -> None:
    answer = AnswerEngine(kb.retriever, None).answer(question, EVERYONE)
    assert answer.text.strip()
    # Never an uncited claim: either quoted passages with their citations, or a refusal.
    assert answer.abstained or answer.citations


def test_only_stop_words_are_refused(kb: Services) -> None:
    assert AnswerEngine(kb.retriever, None).answer("what is it?", EVERYONE).abstained
