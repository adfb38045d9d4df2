"""Synthetic dataset versions in the dataset builder's format, for trainer tests and benchmarks."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

from knowledge.answering.prompts import training_example
from knowledge.generation.chat_format import to_chat_dicts
from knowledge.retrieval import Passage

TOPICS = [
    ("annual leave", "days of paid annual leave per calendar year"),
    ("sick leave", "working days of fully paid sick leave per rolling year"),
    ("parental leave", "weeks of fully paid parental leave"),
    ("remote work", "days per week of remote work with the manager's agreement"),
    ("expenses", "days to submit an expense claim with an itemised receipt"),
    ("training budget", "euros of training budget per employee per year"),
    ("notice period", "weeks of notice before the last working day"),
    ("equipment", "euros for home office equipment every three years"),
]

FILLER = (
    "Employees should read this section together with the rest of the handbook and ask "
    "People Operations when something is unclear. Managers are expected to apply the rule "
    "consistently across their teams and to record exceptions in the HR portal so that they "
    "can be reviewed. The policy applies to all permanent and fixed-term staff in every "
    "office unless a local agreement says otherwise, and it is reviewed every year."
)


def _passage(topic: str, fact: str, amount: int, index: int) -> Passage:
    text = f"Staff receive {amount} {fact}. {FILLER}"
    return Passage(
        text=text,
        title=f"{topic.title()} policy",
        section="Entitlement",
        source_uri=f"file:///handbook/{topic.replace(' ', '-')}.md",
        document_id=topic.replace(" ", "-"),
        version=1,
        chunk_index=index,
        score=1.0,
        bm25_score=None,
        vector_score=None,
        review_by=date(2030, 1, 1),
        stale=False,
    )


def synthetic_row(rng: random.Random) -> dict[str, object]:
    """One prompt-completion row: three passages, the answer copies a figure from one of them."""
    topics = rng.sample(TOPICS, 3)
    amounts = [rng.randint(2, 60) for _ in topics]
    passages = [
        _passage(topic, fact, amount, i)
        for i, ((topic, fact), amount) in enumerate(zip(topics, amounts, strict=True))
    ]
    target = rng.randrange(3)
    topic, fact = topics[target]
    question = f"How much {topic} do I get?"
    answer = f"You receive {amounts[target]} {fact} [{target + 1}]."
    chat = to_chat_dicts(training_example(question, passages, answer))
    return {"prompt": chat[:-1], "completion": chat[-1:], "meta": {"source": "synthetic"}}


def write_synthetic_dataset(folder: Path, *, train: int, validation: int, seed: int = 0) -> Path:
    """A dataset folder (train.jsonl, validation.jsonl) of realistic ~550-token examples."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name, count in (("train", train), ("validation", validation)):
        lines = [json.dumps(synthetic_row(rng)) for _ in range(count)]
        (folder / f"{name}.jsonl").write_text("".join(f"{line}\n" for line in lines), "utf-8")
    return folder
