"""Claims without figures: negations, yes/no answers and existence claims need a passage."""

from __future__ import annotations

from knowledge.answering.claims import claims, negative, unsupported_claims
from knowledge.answering.grounding import check_grounding

BENEFITS = (
    "Employees are offered long-term disability insurance through the benefits program. "
    "Contractors are not eligible for the transit subsidy."
)


def test_a_denial_of_what_the_passage_offers_is_unsupported() -> None:
    answer = "The company does not provide long-term disability insurance."
    assert [c.text for c in unsupported_claims(answer, [BENEFITS])] == [answer]


def test_a_restated_offer_or_denial_is_supported() -> None:
    assert not unsupported_claims("Long-term disability insurance is offered [1].", [BENEFITS])
    assert not unsupported_claims("No, contractors are not eligible for the subsidy.", [BENEFITS])


def test_yes_or_no_against_the_passage() -> None:
    wrong = unsupported_claims("Yes. Contractors are eligible for the transit subsidy.", [BENEFITS])
    assert len(wrong) == 1 and not wrong[0].negative
    flipped = unsupported_claims("No. Disability insurance is offered to employees.", [BENEFITS])
    assert flipped and flipped[0].negative  # "No." joined to what it answers


def test_an_existence_claim_no_passage_makes() -> None:
    assert unsupported_claims("The agency provides free gym memberships.", [BENEFITS])


def test_plain_statements_are_not_claims() -> None:
    assert claims("See the benefits page for details.") == []
    assert negative("You cannot carry it over") and negative("Don\u2019t forget")
    assert not negative("Notify your supervisor")


def test_spelled_numbers_compare_as_digits() -> None:
    source = ["Parental leave is sixteen weeks; vacation is twenty-five days."]
    assert check_grounding("You get 16 weeks of parental leave.", source).ok
    assert not check_grounding("You get fourteen weeks of parental leave.", source).ok
    assert check_grounding("You get 25 days of vacation.", source).ok
    assert not check_grounding("You get 5 days of vacation.", source).ok
