"""Check handbook_qa.jsonl and abstention_holdout.jsonl against the sample handbook's text.

Every key fact a question expects must literally appear (case-insensitively,
with whitespace collapsed) in the text of one of its expected sources, and the
wrong values it lists must not. A dev tool, not part of the installed package; run
from the repository root:

    python -m tools.sample.check_qa              # both QA files
    python -m tools.sample.check_qa --qa FILE    # one file

Exit status 0 means the QA sets are consistent with the handbook; otherwise every
problem found is printed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from knowledge.sample import HANDBOOK_DIR, HOLDOUT_PATH, QA_PATH, UPDATES_DIR
from tools.sample.handbook_text import (
    SUPPORTED_SUFFIXES,
    ExtractedDocument,
    load_documents,
    normalize,
)

KINDS = ("factual", "paraphrase", "multi_doc", "changed", "restricted", "unanswerable")
REQUIRED_KEYS = (
    "id",
    "question",
    "kind",
    "expected_sources",
    "answer_must_contain",
    "must_not_contain",
)
OPTIONAL_KEYS = ("audiences", "after_update")
ID_PATTERN = re.compile(r"^[a-z]+-\d{3}$")

Fact = str | list[str]


def _alternatives(fact: Fact) -> list[str]:
    return [fact] if isinstance(fact, str) else list(fact)


def _valid_fact_list(value: Any, *, allow_alternatives: bool) -> bool:
    if not isinstance(value, list):
        return False
    for item in value:
        if isinstance(item, str) and item.strip():
            continue
        if (
            allow_alternatives
            and isinstance(item, list)
            and item
            and all(isinstance(alt, str) and alt.strip() for alt in item)
        ):
            continue
        return False
    return True


def _missing_facts(facts: Iterable[Fact], text: str) -> list[Fact]:
    return [
        fact for fact in facts if not any(normalize(alt) in text for alt in _alternatives(fact))
    ]


def _present(strings: Iterable[str], text: str) -> list[str]:
    return [value for value in strings if normalize(value) in text]


def check_record(
    record: dict[str, Any],
    documents: dict[str, ExtractedDocument],
    updates: dict[str, ExtractedDocument],
) -> list[str]:
    """Return the problems found in one QA record (empty when it is valid)."""
    qid = record.get("id", "<no id>")
    errors: list[str] = []

    def fail(message: str) -> None:
        errors.append(f"{qid}: {message}")

    missing = [key for key in REQUIRED_KEYS if key not in record]
    unknown = [key for key in record if key not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if missing:
        fail(f"missing keys {missing}")
        return errors
    if unknown:
        fail(f"unknown keys {unknown}")
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        fail("id must look like 'topic-001'")
    if not isinstance(record["question"], str) or not record["question"].strip().endswith("?"):
        fail("question must be a non-empty string ending with '?'")
    kind = record["kind"]
    if kind not in KINDS:
        fail(f"unknown kind {kind!r}; expected one of {KINDS}")

    sources = record["expected_sources"]
    must = record["answer_must_contain"]
    must_not = record["must_not_contain"]
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        fail("expected_sources must be a list of file names")
        return errors
    if not _valid_fact_list(must, allow_alternatives=True):
        fail("answer_must_contain must be a list of strings or lists of strings")
        return errors
    if not _valid_fact_list(must_not, allow_alternatives=False):
        fail("must_not_contain must be a list of strings")
        return errors

    for source in sources:
        if "/" in source or "\\" in source:
            fail(f"expected source {source!r} must be a file name, not a path")
        elif source not in documents:
            fail(f"expected source {source!r} does not exist in the handbook")
    if len(set(sources)) != len(sources):
        fail("duplicate expected sources")
    known = [documents[source] for source in sources if source in documents]

    if kind == "unanswerable":
        if sources or must:
            fail("unanswerable questions need empty expected_sources and answer_must_contain")
        return errors
    if not sources or not must:
        fail("answerable questions need expected_sources and answer_must_contain")
        return errors
    if kind == "multi_doc" and len(sources) < 2:
        fail("multi_doc questions need at least two expected sources")
    if kind != "multi_doc" and len(sources) != 1:
        fail(f"{kind} questions should have exactly one expected source")

    texts = {doc.name: normalize(doc.text) for doc in known}
    combined = " \n ".join(texts.values())
    for fact in _missing_facts(must, combined):
        fail(f"answer_must_contain {fact!r} not found in {sources}")
    for name, text in texts.items():
        if len(_missing_facts(must, text)) == len(must):
            fail(f"expected source {name} contains none of the key facts")
    for value in _present(must_not, combined):
        fail(f"must_not_contain {value!r} appears in the expected sources")

    restricted_sources = [doc.name for doc in known if "everyone" not in doc.audiences]
    audiences = record.get("audiences")
    if kind == "restricted":
        if audiences != ["managers"]:
            fail('restricted questions need "audiences": ["managers"]')
        if restricted_sources != [doc.name for doc in known]:
            fail("restricted questions must be answered by managers-only documents")
        for doc in known:
            if tuple(audiences or ()) != doc.audiences:
                fail(f"audiences {audiences} differ from {doc.name}'s {list(doc.audiences)}")
    else:
        if audiences is not None:
            fail('only restricted questions may set "audiences"')
        if restricted_sources:
            fail(f"non-restricted question answered by restricted {restricted_sources}")

    after = record.get("after_update")
    if kind != "changed":
        if after is not None:
            fail('only changed questions may set "after_update"')
        return errors

    if not isinstance(after, dict) or set(after) != {"answer_must_contain", "must_not_contain"}:
        fail('changed questions need "after_update" with answer_must_contain and must_not_contain')
        return errors
    if not _valid_fact_list(after["answer_must_contain"], allow_alternatives=True) or not (
        _valid_fact_list(after["must_not_contain"], allow_alternatives=False)
    ):
        fail("after_update lists are malformed")
        return errors
    updated = [updates[source] for source in sources if source in updates]
    if len(updated) != len(sources):
        fail(f"changed question sources {sources} have no counterpart in updates/")
        return errors
    new_text = " \n ".join(normalize(doc.text) for doc in updated)
    for fact in _missing_facts(after["answer_must_contain"], new_text):
        fail(f"after_update answer_must_contain {fact!r} not found in updates/")
    for value in _present(after["must_not_contain"], new_text):
        fail(f"after_update must_not_contain {value!r} still appears in updates/")
    for fact in after["answer_must_contain"]:
        for alt in _present(_alternatives(fact), combined):
            fail(f"updated value {alt!r} already appears in the original handbook")
    return errors


def check_updates(handbook_dir: Path, updates_dir: Path) -> list[str]:
    """Each update must mirror a handbook file and change one line besides review_by."""
    errors: list[str] = []
    for path in sorted(updates_dir.iterdir()):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        original = handbook_dir / path.name
        if not original.exists():
            errors.append(f"updates/{path.name}: no handbook file with the same name")
            continue
        if path.suffix.lower() != ".md":
            continue
        old_lines = original.read_text(encoding="utf-8").splitlines()
        new_lines = path.read_text(encoding="utf-8").splitlines()
        diff = [
            line
            for line in difflib.unified_diff(old_lines, new_lines, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        review = [line for line in diff if line[1:].startswith("review_by:")]
        body = [line for line in diff if not line[1:].startswith("review_by:")]
        if len(review) != 2:
            errors.append(f"updates/{path.name}: review_by must change")
        removed = sum(line.startswith("-") for line in body)
        added = sum(line.startswith("+") for line in body)
        if (removed, added) != (1, 1):
            errors.append(
                f"updates/{path.name}: expected exactly one changed body line, "
                f"got {removed} removed and {added} added"
            )
    return errors


def load_qa(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse the JSONL file; returns the records and any syntax problems."""
    records: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(f"line {number}: invalid JSON ({error})")
            continue
        if not isinstance(value, dict):
            errors.append(f"line {number}: expected a JSON object")
            continue
        records.append(value)
    return records, errors


def check(
    qa_path: Path = QA_PATH,
    handbook_dir: Path = HANDBOOK_DIR,
    updates_dir: Path = UPDATES_DIR,
    *,
    complete: bool = True,
) -> tuple[list[str], list[str], Counter[str]]:
    """Check the QA set; returns (errors, warnings, questions per kind).

    `complete`: the set must also cover the files in updates/ with 'changed' questions and
    is warned about documents no question cites (the main QA file; not the holdout).
    """
    documents = load_documents(handbook_dir)
    updates = load_documents(updates_dir) if updates_dir.exists() else {}
    records, errors = load_qa(qa_path)
    warnings: list[str] = []

    ids = Counter(record.get("id") for record in records)
    errors += [f"{qid}: duplicate id" for qid, count in ids.items() if count > 1]
    for record in records:
        errors += check_record(record, documents, updates)
    if complete:
        errors += check_updates(handbook_dir, updates_dir) if updates_dir.exists() else []
        if not any(record.get("kind") == "changed" for record in records):
            errors.append("no 'changed' questions cover the files in updates/")
        cited = {source for record in records for source in record.get("expected_sources", [])}
        warnings += [
            f"{name}: not an expected source of any question"
            for name in documents
            if name not in cited
        ]
    kinds = Counter(str(record.get("kind")) for record in records)
    return errors, warnings, kinds


def main(argv: Sequence[str] | None = None) -> int:
    """Run the checks and print a summary per QA file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=None, help="one QA JSONL file (default: both)")
    parser.add_argument("--handbook", type=Path, default=HANDBOOK_DIR, help="handbook folder")
    parser.add_argument("--updates", type=Path, default=UPDATES_DIR, help="updates folder")
    args = parser.parse_args(argv)

    paths = [args.qa] if args.qa else [QA_PATH, HOLDOUT_PATH]
    failed = False
    for path in paths:
        complete = path.resolve() != HOLDOUT_PATH
        errors, warnings, kinds = check(path, args.handbook, args.updates, complete=complete)
        for warning in warnings:
            print(f"warning: {warning}")
        for error in errors:
            print(f"error: {error}")
        summary = ", ".join(f"{kind}={kinds.get(kind, 0)}" for kind in KINDS)
        total = sum(kinds.values())
        status = "FAILED" if errors else "OK"
        print(
            f"{status}: {path.name}: {total} questions ({summary}); "
            f"{len(errors)} errors, {len(warnings)} warnings"
        )
        failed = failed or bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
