"""Follow-up questions become standalone: the rules, and the model with a safe fallback."""

from __future__ import annotations

from knowledge.answering.answer_types import Turn
from knowledge.answering.rewrite import is_follow_up, rewrite_rules, rewrite_with_model
from tests.answering.fakes import ScriptedGenerator

THREAD = (
    Turn("user", "How much paid parental leave does a non-birthing parent get?"),
    Turn("assistant", "A non-birthing parent gets 16 weeks at full salary [1]."),
)


def test_follow_ups_are_recognised() -> None:
    assert is_follow_up("And by when do they have to take it?")
    assert is_follow_up("What about Canada?")
    assert is_follow_up("Who is eligible for it?")
    assert not is_follow_up("How many days of annual leave do Northwind employees get per year?")


def test_rules_carry_the_topic_of_the_earlier_question() -> None:
    standalone = rewrite_rules("And by when do they have to take it?", THREAD)
    assert standalone.startswith("And by when do they have to take it?")
    assert "parental" in standalone and "non-birthing" in standalone


def test_rules_leave_standalone_questions_and_empty_threads_alone() -> None:
    question = "What is the minimum length for a password I create?"
    assert rewrite_rules(question, THREAD) == question
    assert rewrite_rules("And for adoption?", ()) == "And for adoption?"


def test_a_chain_of_follow_ups_keeps_the_original_topic() -> None:
    thread = (
        Turn("user", "What is the home-office allowance for new remote employees?"),
        Turn("assistant", "A one-off EUR 800 [1]."),
        Turn("user", "By when must it be spent?"),
        Turn("assistant", "Within your first 90 days [1]."),
    )
    assert "home-office" in rewrite_rules("Is there a refresh later on?", thread)


def test_model_rewrite_is_used_when_sensible() -> None:
    model = ScriptedGenerator("By when must a non-birthing parent take parental leave?")
    result = rewrite_with_model("And by when?", THREAD, model)
    assert result == "By when must a non-birthing parent take parental leave?"
    assert "<conversation>" in str(model.prompts[0][1].content)


def test_model_rewrite_falls_back_to_the_rules() -> None:
    rules = rewrite_rules("And by when?", THREAD)
    assert rewrite_with_model("And by when?", THREAD, ScriptedGenerator("", fail=True)) == rules
    assert rewrite_with_model("And by when?", THREAD, ScriptedGenerator("")) == rules
    rambling = ScriptedGenerator("Sure! " + "blah " * 200 + "?")
    assert rewrite_with_model("And by when?", THREAD, rambling) == rules
    assert rewrite_with_model("And by when?", (), ScriptedGenerator("x?")) == "And by when?"
