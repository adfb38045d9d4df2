"""Jekyll handbooks as committed: Liquid tags out of the text, front matter used for title/owner."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.documents.formats.liquid import has_liquid, strip_liquid
from knowledge.documents.parsed import ParseError
from knowledge.documents.parsing import parse_document

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "18f-handbook" / "pages"

PAGE = b"""---
title: Family leave
keywords: leave, parental
questions:
  - people-ops
redirect_from:
  - /leave/
---

{% alert %}
  Current employees can use the leave comparison chart.
{% endalert %}

Before you take leave, check [out of office expectations]({% page "travel-and-leave/ooo/" %}).

{% comment %}
This paragraph is an editor's note and renders nothing.
{% endcomment %}

## Questions

Ask in {% slack_channel "people-ops" %} or see {{ site.baseurl }}/contacts.

{% image "_img/chart.png" "a chart" %}

```
{% raw %}{{ literal }}{% endraw %}
```
"""


def test_tags_rendered_or_removed() -> None:
    text = strip_liquid(PAGE.decode())
    assert "{%" not in text.replace("{{ literal }}", "") and "{{ site" not in text
    assert "Ask in #people-ops or see /contacts." in text
    assert "editor's note" not in text
    assert "Current employees can use the leave comparison chart." in text
    assert "{{ literal }}" in text  # a raw block is shown as written


def test_text_without_tags_is_unchanged() -> None:
    text = "Plain text with {braces} and 50% of {a} set."
    assert not has_liquid(text)
    assert strip_liquid(text) == text


def test_unclosed_tag_does_not_swallow_the_page() -> None:
    text = strip_liquid("Line one {% broken tag\nLine two stays.")
    assert text == "Line one \nLine two stays."


def test_markdown_page_has_no_tag_words_and_uses_front_matter() -> None:
    doc = parse_document(PAGE, "leave.md")
    assert doc.title == "Family leave"
    assert doc.meta.owner == "#people-ops"
    words = doc.text.lower()
    for tag_word in ("endalert", "slack_channel", "endcomment", "baseurl", "{%", 'page "'):
        assert tag_word not in words
    assert "Before you take leave, check out of office expectations." in doc.text


def test_owner_field_wins_over_question_channels() -> None:
    page = b"---\ntitle: T\nowner: hr@example.org\nquestions: [benefits]\n---\nBody text here.\n"
    assert parse_document(page, "t.md").meta.owner == "hr@example.org"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared 18F corpus is not on this machine")
def test_real_handbook_pages_parse_without_tags() -> None:
    pages = sorted(CORPUS.rglob("*.md"))
    assert len(pages) > 200
    parsed = 0
    for path in pages:
        try:
            doc = parse_document(path.read_bytes(), path.name)
        except ParseError:
            continue  # a redirect stub: front matter and no text
        parsed += 1
        if b"{% raw %}" not in path.read_bytes():  # raw blocks show tags on purpose
            assert "{%" not in doc.text and "endalert" not in doc.text, path
        assert doc.title
    assert parsed > 200
