"""Splitting and balancing: the abstention cap, real abstentions before hard negatives."""

from __future__ import annotations

from pipelines.datasets.split import balance_abstention


def test_abstentions_are_capped_at_their_share() -> None:
    answers = [f"a{i}" for i in range(85)]
    refusals = [f"r{i}" for i in range(40)]
    kept = balance_abstention(answers, refusals, max_share=0.15, seed=0)
    assert kept[:85] == answers
    assert len(kept) - 85 == 15  # 15 / 100 examples
    assert set(kept[85:]) <= set(refusals)


def test_hard_negatives_only_fill_the_room_the_real_abstentions_leave() -> None:
    answers = [f"a{i}" for i in range(85)]
    real = [f"r{i}" for i in range(10)]
    hard = [f"h{i}" for i in range(50)]
    kept = balance_abstention(answers, real, max_share=0.15, seed=0, fill=hard)
    assert set(real) <= set(kept)
    assert sum(k.startswith("h") for k in kept) == 5
    crowded = balance_abstention(answers, real * 3, max_share=0.15, seed=0, fill=hard)
    assert not any(k.startswith("h") for k in crowded) and len(crowded) == 100


def test_no_cap_keeps_everything_and_a_zero_share_keeps_no_refusal() -> None:
    answers, real, hard = ["a"], ["r"], ["h"]
    assert balance_abstention(answers, real, max_share=1.0, seed=0, fill=hard) == ["a", "r", "h"]
    assert balance_abstention(answers, real, max_share=0.0, seed=0, fill=hard) == ["a"]
