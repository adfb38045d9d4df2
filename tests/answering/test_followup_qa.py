"""The follow-up QA file: well formed, and every key fact is in its expected source's text."""

from __future__ import annotations

from knowledge.answering.answer_quality import history_of
from knowledge.qa_harness import load_qa
from tests.conftest import HANDBOOK, SAMPLE
from tools.sample.handbook_text import extract_document, normalize

FOLLOWUP_QA = SAMPLE / "followup_qa.jsonl"


def test_every_follow_up_has_a_thread_and_facts_from_its_source() -> None:
    items = load_qa(FOLLOWUP_QA)
    assert len(items) >= 10 and len({item.id for item in items}) == len(items)
    texts = {}
    for item in items:
        history = history_of(item)
        assert history and history[0].role == "user", item.id
        assert item.answerable and item.answer_must_contain, item.id
        for source in item.expected_sources:
            if source not in texts:
                texts[source] = normalize(extract_document(HANDBOOK / source).text)
        text = " ".join(texts[s] for s in item.expected_sources)
        for fact in item.answer_must_contain:
            options = [fact] if isinstance(fact, str) else fact
            assert any(normalize(o) in text for o in options), (item.id, fact)
