"""The training filters as a table: ACL-safe, not stale, not opted out; and near-duplicates."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.curation.dedupe import group_near_duplicates
from pipelines.curation.filters import ServedDocument, exclusion
from tests.curation.conftest import BANDS, CARRY, LEAVE, SICK, snapshot

DOCUMENTS = {
    "annual-leave": ServedDocument(("everyone",), 2),
    "sick-leave": ServedDocument(("everyone", "managers"), 1),
    "manager-guide-compensation": ServedDocument(("managers",), 1),
    "old-travel": ServedDocument(("everyone",), None, "deleted"),
}
LEAVE_V2 = {"document_id": "annual-leave", "version": 2}

ROWS: list[tuple[str, dict[str, Any], tuple[str, str] | None]] = [
    (
        "public passages, live version",
        {"passages": [LEAVE_V2, {"document_id": "sick-leave"}], "cited": [LEAVE_V2]},
        None,
    ),
    (
        # the model saw a managers-only passage even though it did not cite it
        "one restricted passage among those seen",
        {
            "passages": snapshot([SICK, BANDS]),
            "cited": [{"document_id": "sick-leave", "version": 1}],
        },
        ("acl", "passage from 'manager-guide-compensation', visible only to managers"),
    ),
    (
        "a passage of a document the registry does not know",
        {"passages": [{"document_id": "gone"}], "cited": []},
        ("acl", "passage from an unknown document 'gone'"),
    ),
    (
        "cited version replaced since",
        {
            "passages": snapshot([LEAVE, CARRY]),
            "cited": [{"document_id": "annual-leave", "version": 1}],
        },
        ("stale", "'annual-leave' version 1 was replaced by version 2"),
    ),
    (
        "cited document deleted",
        {
            "passages": [{"document_id": "old-travel"}],
            "cited": [{"document_id": "old-travel", "version": 3}],
        },
        ("stale", "'old-travel' is no longer served"),
    ),
    (
        "asker opted out (checked first)",
        {"passages": snapshot([BANDS]), "cited": [], "asker_id": "U0OPTEDOUT"},
        ("opted_out", "the asker opted out of training"),
    ),
    ("an abstention cites nothing", {"passages": [], "cited": []}, None),
    (
        "a corrupt citation",
        {"passages": [], "cited": [{"document_id": "annual-leave", "version": "v?"}]},
        ("stale", "'annual-leave' is cited with an unreadable version 'v?'"),
    ),
]


@pytest.mark.parametrize(("case", "item", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_exclusion(case: str, item: dict[str, Any], expected: tuple[str, str] | None) -> None:
    verdict = exclusion(
        asker_id=item.get("asker_id", "U0ASKER01"),
        passages=item["passages"],
        cited=item["cited"],
        documents=DOCUMENTS,
        opted_out={"U0OPTEDOUT"},
    )
    assert verdict == expected


def test_the_admin_can_include_restricted_or_stale_items_on_purpose() -> None:
    kwargs: dict[str, Any] = {"asker_id": None, "documents": DOCUMENTS, "opted_out": set()}
    restricted = snapshot([BANDS])
    assert exclusion(passages=restricted, cited=[], allow_restricted=True, **kwargs) is None
    stale = [{"document_id": "annual-leave", "version": 1}]
    assert exclusion(passages=stale, cited=stale, allow_stale=True, **kwargs) is None


def test_paraphrases_share_a_group_and_different_questions_do_not() -> None:
    questions = [
        "How many days of annual leave do I get?",
        "how many days annual leave do I get",
        "How many days of sick leave before I need a doctor's note?",
        "Can I expense a coworking desk?",
        "How many annual leave days do I get?",
    ]
    groups = group_near_duplicates(questions)
    assert groups[0] == groups[1] == groups[4] == 0
    assert len({groups[0], groups[2], groups[3]}) == 3


def test_embeddings_join_paraphrases_that_share_few_words() -> None:
    questions = [
        "My grandmother died, how long can I take off?",
        "Bereavement leave length?",
        "Expense a desk?",
    ]
    vectors = [[1.0, 0.1, 0.0], [0.95, 0.12, 0.0], [0.0, 0.0, 1.0]]
    assert group_near_duplicates(questions) == [0, 1, 2]
    assert group_near_duplicates(questions, vectors) == [0, 0, 2]


def test_candidate_filtering_finds_the_same_groups_as_comparing_every_pair() -> None:
    import random

    from pipelines.curation.dedupe import jaccard

    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(12)]
    questions = [" ".join(rng.sample(vocabulary, rng.randint(1, 5))) for _ in range(150)]
    questions += [""] * 2
    groups = group_near_duplicates(questions, min_jaccard=0.6)
    stems = [set(q.split()) for q in questions]
    for i in range(len(questions)):
        for j in range(i + 1, len(questions)):
            if jaccard(stems[i], stems[j]) >= 0.6:
                assert groups[i] == groups[j]
