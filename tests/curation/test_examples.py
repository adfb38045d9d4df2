"""Training examples: the serving prompt, citations that match the prompt, RAFT placement."""

from __future__ import annotations

import random

from knowledge.answering.abstention import model_declined
from knowledge.answering.prompts import SYSTEM_PROMPT, build_messages
from pipelines.datasets.examples import (
    ABSTAIN_TARGET,
    ItemData,
    cite,
    fit_citations,
    item_examples,
    messages_json,
    to_record,
)
from tests.answering.passages import passage
from tests.curation.conftest import BANDS, CARRY, LEAVE, SICK, snapshot

P = [passage(f"Passage number {i} says {i * 10} days.", chunk_index=i) for i in range(1, 7)]


def _item(**kw: object) -> ItemData:
    base: dict[str, object] = {
        "id": 1,
        "source": "exchange",
        "kind": "answered",
        "label": "positive",
        "question": "How many days?",
        "answer": "25 working days [1].",
        "correction": None,
        "answerable": True,
        "fact": "",
        "passages": tuple(snapshot([LEAVE, CARRY, SICK, BANDS])),
    }
    base.update(kw)
    return ItemData(**base)  # type: ignore[arg-type]


def test_the_abstention_target_is_the_system_prompts_reply_and_counts_as_declining() -> None:
    assert ABSTAIN_TARGET in SYSTEM_PROMPT
    assert model_declined(ABSTAIN_TARGET)


def test_citations_beyond_the_prompt_are_moved_in_and_renumbered() -> None:
    text, shown = fit_citations("It is 50 days [5] or 10 days [1].", P, 3)
    assert [p.chunk_index for p in shown] == [1, 2, 5]
    assert text == "It is 50 days [3] or 10 days [1]."
    same, kept = fit_citations("Only [2].", P, 3)
    assert (same, [p.chunk_index for p in kept]) == ("Only [2].", [1, 2, 3])


def test_an_uncited_answer_cites_the_passage_with_its_figures() -> None:
    assert cite("Carry over up to 5 days.", [LEAVE, CARRY]) == "Carry over up to 5 days [2]."
    assert cite("Already cited [1].", [LEAVE]) == "Already cited [1]."
    assert cite("Nothing matches 99 here", [LEAVE]) == "Nothing matches 99 here"


def test_exchange_items_give_sft_and_kto_rows_by_label() -> None:
    rng = random.Random(0)
    positive = item_examples(_item(), k=3, rng=rng)
    assert [(e.variant, e.label) for e in positive] == [("answer", None), ("kto", True)]
    assert positive[0].target == "25 working days [1]."
    assert len(positive[0].passages) == 3

    negative = item_examples(_item(label="negative", answer="20 days [1]."), k=3, rng=rng)
    assert [(e.variant, e.label, e.target) for e in negative] == [("kto", False, "20 days [1].")]

    corrected = item_examples(
        _item(label="corrected", answer="20 days [1].", correction="Up to 5 days."), k=3, rng=rng
    )
    assert [(e.variant, e.label) for e in corrected] == [
        ("correction", None),
        ("kto", False),
        ("kto", True),
    ]
    assert corrected[0].target == "Up to 5 days [2]."

    declined = item_examples(_item(answerable=False, answer="I couldn't find..."), k=3, rng=rng)
    assert declined[0].target == ABSTAIN_TARGET and declined[0].variant == "abstention"


def test_synthetic_answers_sit_among_distractors_and_get_a_hard_negative() -> None:
    source = LEAVE
    overlapping = passage(
        "Every employee receives 25 working days of paid annual leave per holiday year. More.",
        chunk_index=9,
    )
    item = _item(
        source="synthetic",
        kind="duration",
        label="unrated",
        answer="Every employee receives 25 working days of paid annual leave per holiday year.",
        fact="25 working days",
        passages=tuple(snapshot([source, overlapping, SICK, BANDS, CARRY])),
    )
    positions = set()
    for seed in range(30):
        answer, negative = item_examples(item, k=3, rng=random.Random(seed))
        where = answer.passages.index(source) + 1
        positions.add(where)
        assert answer.target.endswith(f"[{where}].")
        assert overlapping not in answer.passages  # it holds the answer: no distractor
        assert negative.variant == "hard_negative" and negative.target == ABSTAIN_TARGET
        assert source not in negative.passages and overlapping not in negative.passages
        assert all("25 working days" not in p.text for p in negative.passages)
    assert positions == {1, 2, 3}


def test_a_record_is_trl_prompt_completion_built_by_the_serving_prompt_builder() -> None:
    example = item_examples(_item(), k=3, rng=random.Random(0))[0]
    record = to_record(example, "How many days?", "25 working days [1].", {"item_id": 1})
    assert record["prompt"] == messages_json(build_messages("How many days?", example.passages))
    assert [m["role"] for m in record["prompt"]] == ["system", "user"]
    assert record["completion"] == [{"role": "assistant", "content": "25 working days [1]."}]
    assert "label" not in record and record["meta"] == {"item_id": 1}
    kto = item_examples(_item(), k=3, rng=random.Random(0))[1]
    assert to_record(kto, "q", "a", {})["label"] is True


def test_a_correction_of_a_refusal_is_the_target_and_a_rejected_refusal_only_a_negative() -> None:
    rng = random.Random(0)
    refusal = "I couldn't find this in our policies."
    fixed = item_examples(
        _item(answerable=False, answer=refusal, label="corrected", correction="Up to 5 days."),
        k=3,
        rng=rng,
    )
    assert (fixed[0].variant, fixed[0].target) == ("correction", "Up to 5 days [2].")
    assert (fixed[1].label, fixed[1].target) == (False, refusal)
    disliked = item_examples(
        _item(answerable=False, answer=refusal, label="negative"), k=3, rng=rng
    )
    assert [(e.variant, e.label) for e in disliked] == [("kto", False)]


def test_a_correction_that_refuses_is_the_one_abstention_reply_and_counts_as_one() -> None:
    corrected = item_examples(
        _item(
            label="corrected",
            answer="20 days [1].",
            correction="I couldn't find this in our policies, so I'd rather not guess.",
        ),
        k=3,
        rng=random.Random(0),
    )
    assert [(e.variant, e.label) for e in corrected] == [
        ("abstention", None),
        ("kto", False),
        ("kto", True),
    ]
    assert corrected[0].target == ABSTAIN_TARGET and corrected[0].abstains
    assert corrected[1].target == "20 days [1]."


def test_a_synthetic_answer_can_be_placed_at_several_positions() -> None:
    item = _item(
        source="synthetic",
        kind="duration",
        label="unrated",
        answer="Every employee receives 25 working days of paid annual leave per holiday year.",
        fact="25 working days",
        passages=tuple(snapshot([LEAVE, SICK, BANDS, CARRY])),
    )
    for seed in range(10):
        *answers, negative = item_examples(item, k=3, rng=random.Random(seed), placements=2)
        assert [e.variant for e in answers] == ["answer", "answer"]
        where = [e.passages.index(LEAVE) + 1 for e in answers]
        assert len(set(where)) == 2
        assert all(e.target.endswith(f"[{n}].") for e, n in zip(answers, where, strict=True))
        assert negative.variant == "hard_negative"
    # more placements than positions: one example per position, no duplicates
    many = item_examples(item, k=3, rng=random.Random(0), placements=9)
    assert sum(e.variant == "answer" for e in many) == 3
