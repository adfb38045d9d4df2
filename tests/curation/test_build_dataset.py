"""build_dataset on SQLite: approved items in, an immutable, scrubbed, split version out."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest

from knowledge.db import curation, dataset_versions
from knowledge.services import Services
from knowledge.settings import Settings
from knowledge.synthetic_questions import SyntheticItem
from pipelines.datasets import DatasetError, DatasetOptions, build_dataset, version
from pipelines.datasets.examples import ABSTAIN_TARGET
from tests.curation.conftest import BANDS, CARRY, LEAVE, SICK, add_documents, add_exchange, snapshot

# A handful of items: the default abstention cap (15%) would leave no refusal to look at.
FAST = {"use_embeddings": False, "min_examples": 5, "max_abstention_share": 0.5}


@pytest.fixture
def services(settings: Settings) -> Services:
    # An admin has turned training on Slack conversations on (it is off by default).
    services = Services.from_settings(settings.model_copy(update={"slack_training_consent": True}))
    with services.db.session() as s:
        add_documents(s)
    return services


def _approve_all(services: Services) -> None:
    with services.db.session() as s:
        curation.sync_exchanges(s)
        for item in curation.list_items(s, state="new", limit=1000):
            curation.transition(s, item.id, "approved", actor="ana")


def _seed(services: Services, paraphrases: int = 3) -> None:
    with services.db.session() as s:
        for i in range(paraphrases):
            add_exchange(
                s,
                f"How many days of annual leave do I get{'?' * (i + 1)}",
                "Every employee gets 25 working days [1].",
                votes=[("U1", 1, None)],
            )
        add_exchange(
            s,
            "Can <@U0PRIYA01> carry over days? Mail priya@gmail.com",
            "No [1].",
            asker="U0PRIYA01",
            votes=[("U2", -1, "Up to 5 days, used by 31 March.")],
        )
        add_exchange(s, "Sick note from which day?", "From day 8 [3].", votes=[("U3", 1, None)])
        add_exchange(s, "What is the wrong answer?", "Nonsense [1].", votes=[("U3", -1, None)])
        add_exchange(s, "Pay band width?", "40% [1].", [BANDS, LEAVE], votes=[("U4", 1, None)])
        add_exchange(s, "Opted out question?", "25 days [1].", asker="U0OPTOUT1")
        add_exchange(s, "Do we get pet insurance?", "I couldn't find this.", status="abstained")
        synthetic = [
            SyntheticItem(
                question="You can carry over up to how many days into the next holiday year?",
                answer=CARRY.text,
                kind="duration",
                answerable=True,
                fact="5 days",
                document_id="annual-leave",
                version=1,
                chunk_index=1,
            ),
            SyntheticItem("Is there a gym allowance?", "", "unanswerable", False, ""),
        ]
        passages = {
            synthetic[0].question: snapshot([CARRY, LEAVE, SICK]),
            synthetic[1].question: snapshot([LEAVE, SICK]),
        }
        curation.add_synthetic(s, synthetic, actor="synth", passages_of=passages)
        curation.add_golden(
            s,
            question="Who approves leave?",
            answer="Your manager approves leave in Peoplehub.",
            actor="ana",
            passages=snapshot([LEAVE]),
        )
        curation.set_opt_out(s, "U0OPTOUT1", True)
    _approve_all(services)


def _rows(path: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / name).read_text().splitlines()]


def test_a_dataset_version_is_split_by_group_scrubbed_and_described(services: Services) -> None:
    _seed(services)
    info = build_dataset(services, built_by="ana", options=DatasetOptions(**FAST))
    manifest = json.loads((info.path / "manifest.json").read_text())
    assert manifest["content_hash"] == info.content_hash and manifest["built_by"] == "ana"
    assert manifest["filters"]["excluded"]["opted_out"] == 1
    assert manifest["filters"]["excluded"]["acl"] == 1  # the managers-only pay band passage
    assert manifest["pii_removed"] == {"slack_user": 1, "email": 1}
    assert manifest["document_versions"]["annual-leave"] == [1]
    rows = {n: _rows(info.path, f"{n}.jsonl") for n in ("train", "validation", "test", "kto")}
    sft = rows["train"] + rows["validation"] + rows["test"]
    assert info.counts["train"] + info.counts["validation"] + info.counts["test"] == len(sft)
    text = json.dumps(rows)
    assert "priya@gmail.com" not in text and "U0PRIYA01" not in text
    assert "Opted out question" not in text and "Pay band" not in text
    # every split holds whole question groups
    where: dict[str, set[str]] = {}
    for split in ("train", "validation", "test"):
        for row in rows[split]:
            where.setdefault(row["meta"]["group"], set()).add(split)
    assert all(len(splits) == 1 for splits in where.values())
    paraphrase_groups = {
        r["meta"]["group"] for r in sft if "annual leave do I get" in r["prompt"][1]["content"]
    }
    assert len(paraphrase_groups) == 1
    targets = {r["completion"][0]["content"] for r in sft}
    assert "Up to 5 days, used by 31 March [2]." in targets
    assert ABSTAIN_TARGET in targets
    assert {r["meta"]["variant"] for r in sft} >= {"answer", "correction", "abstention"}
    assert all(r["label"] in (True, False) for r in rows["kto"])
    assert "Nonsense [1]." not in {r["completion"][0]["content"] for r in sft}
    # What each target cites, by file name: what an evaluation of the test split expects.
    carry = next(
        r for r in sft if r["completion"][0]["content"] == "Up to 5 days, used by 31 March [2]."
    )
    assert carry["meta"]["sources"] == ["annual-leave.md"]
    assert all(r["meta"]["sources"] == [] for r in sft if "[" not in r["completion"][0]["content"])
    with services.db.session() as s:
        stored = dataset_versions.get_dataset(s, info.id)
        assert stored.content_hash == info.content_hash and stored.built_by == "ana"


def test_identical_data_returns_the_same_version_and_files_are_read_only(
    services: Services,
) -> None:
    _seed(services)
    first = build_dataset(services, built_by="ana", options=DatasetOptions(**FAST))
    again = build_dataset(services, built_by="bo", options=DatasetOptions(**FAST))
    assert (again.id, again.created) == (first.id, False)
    assert not (first.path / "train.jsonl").stat().st_mode & 0o222
    with services.db.session() as s:
        assert len(dataset_versions.list_datasets(s)) == 1
        curation.add_golden(
            s,
            question="New golden?",
            answer="25 working days.",
            actor="ana",
            passages=snapshot([LEAVE]),
        )
    second = build_dataset(services, built_by="ana", options=DatasetOptions(**FAST))
    assert second.id != first.id and second.created
    with services.db.session() as s:
        diff = dataset_versions.diff_datasets(s, first.id, second.id)
    assert len(diff["added_items"]) == 1 and diff["removed_items"] == []


def test_too_little_data_is_refused_with_what_would_fix_it(services: Services) -> None:
    _seed(services)
    with pytest.raises(DatasetError) as refused:
        build_dataset(services, built_by="ana", options=DatasetOptions(use_embeddings=False))
    message = str(refused.value)
    assert "at least 50" in message and "helpbot curate synth" in message
    assert "1 opted out" in message
    assert not (services.settings.data_dir / "datasets").exists() or not any(
        (services.settings.data_dir / "datasets").iterdir()
    )


def test_slack_conversations_stay_out_until_an_admin_turns_them_on(services: Services) -> None:
    _seed(services)
    _approve_all(services)
    off = services.settings.model_copy(update={"slack_training_consent": False})
    with pytest.raises(DatasetError) as refused:
        build_dataset(Services.from_settings(off), built_by="ana", options=DatasetOptions(**FAST))
    message = str(refused.value)
    assert "slack consent off left out" in message and "HELPBOT_SLACK_TRAINING_CONSENT" in message
    # The build option overrides the setting either way.
    info = build_dataset(
        Services.from_settings(off),
        built_by="ana",
        options=DatasetOptions(**FAST, include_slack=True),
    )
    assert info.counts["by_source"].get("exchange", 0) > 0


def test_bad_options_are_refused() -> None:
    with pytest.raises(DatasetError, match="room for training"):
        DatasetOptions(validation_fraction=0.5, test_fraction=0.5)
    with pytest.raises(DatasetError, match="raft_placements"):
        DatasetOptions(raft_placements=0)


def test_paraphrases_of_held_out_evaluation_questions_stay_out(
    services: Services, tmp_path: Path
) -> None:
    _seed(services)
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "q1", "question": "How many days of annual leave do I get?"}))
    options = DatasetOptions(use_embeddings=False, min_examples=3, held_out_files=(str(qa),))
    info = build_dataset(services, built_by="ana", options=options)
    manifest = json.loads((info.path / "manifest.json").read_text())
    assert manifest["filters"]["excluded"]["held_out"] == 3  # all three paraphrases
    assert "annual leave do I get" not in (info.path / "train.jsonl").read_text()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(DatasetError, match="held-out questions"):
        build_dataset(services, built_by="ana", options=DatasetOptions(held_out_files=(str(bad),)))


def test_two_builds_racing_with_identical_data_leave_one_version(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(services)
    first = build_dataset(services, built_by="ana", options=DatasetOptions(**FAST))
    real = dataset_versions.dataset_by_hash
    calls = iter([None])  # the second build's first look misses the first one's row

    def racing(session: object, digest: str) -> object:
        if next(calls, "looked before") is None:
            return None
        return real(session, digest)  # type: ignore[arg-type]

    monkeypatch.setattr(dataset_versions, "dataset_by_hash", racing)
    removed: list[str] = []
    monkeypatch.setattr(version.shutil, "rmtree", lambda p, **kw: removed.append(p.name))
    monkeypatch.setattr(version, "datetime", _Later)  # the loser's id differs by its time
    second = build_dataset(services, built_by="bo", options=DatasetOptions(**FAST))
    assert len(removed) == 1 and removed[0] != first.id  # it wrote, lost the insert, cleaned up
    with services.db.session() as s:
        assert [d.id for d in dataset_versions.list_datasets(s)] == [first.id]
    assert (second.id, second.created) == (first.id, False)


class _Later(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _Later:  # type: ignore[override]
        return cls(2099, 1, 1, tzinfo=tz)


def test_prompts_hold_the_compressed_context_the_engine_serves(services: Services) -> None:
    # The answer engine shows the model the passages' question-relevant sentences within
    # HELPBOT_CONTEXT_CHARS; a dataset's prompts must be built the same way, or the adapter
    # trains on prompts it is never served.
    _seed(services)
    whole = build_dataset(services, built_by="ana", options=DatasetOptions(**FAST, context_chars=0))
    small = build_dataset(
        services, built_by="ana", options=DatasetOptions(**FAST, context_chars=120)
    )
    assert (
        json.loads((small.path / "manifest.json").read_text())["filters"]["options"][
            "context_chars"
        ]
        == 120
    )
    assert (
        json.loads((whole.path / "manifest.json").read_text())["filters"]["options"][
            "context_chars"
        ]
        == 0
    )

    def prompts(info: Any) -> dict[tuple[str, str], str]:
        return {
            (r["meta"]["item_id"], r["completion"][0]["content"]): r["prompt"][-1]["content"]
            for r in _rows(info.path, "train.jsonl")
        }

    full, compressed = prompts(whole), prompts(small)
    assert full.keys() == compressed.keys()
    assert all(len(compressed[key]) <= len(full[key]) for key in full)
    assert any(len(compressed[key]) < len(full[key]) for key in full)
    assert any(LEAVE.text in prompt for prompt in full.values())
