"""Registry queries: bootstrap, candidates and lineage, promotion rules, rollback, history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.db import registry
from knowledge.db.connection import Database
from knowledge.db.registry import RegistryError


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    database.upgrade()
    registry.ensure_bootstrap(database, base_model="smollm2-135m-instruct")
    yield database
    database.dispose()


def _candidate(db: Database, adapter: Path, base: str = "smollm2-135m-instruct") -> str:
    return registry.register_candidate(
        db,
        base_model=base,
        adapter_path=adapter,
        dataset_version_id="ds-1",
        dataset_hash="abc123",
        hyperparameters={"lora_r": 8, "learning_rate": 2e-4},
        code_version="deadbeef",
        training_metrics={"train_loss": 1.2},
        created_by="worker-1",
    )


def _evaluated(db: Database, version_id: str, *, passed: bool) -> None:
    registry.mark_evaluating(db, version_id)
    rules = [{"rule": "min_gain", "passed": passed, "detail": ""}]
    registry.save_report(
        db,
        version_id,
        live_version_id=registry.live_version_id(db),
        passed=passed,
        report={"summary": {"key_fact_accuracy": 0.8}, "gate": {"passed": passed, "rules": rules}},
        created_by="test",
    )


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    """A folder that reads as a PEFT LoRA adapter (config and weights)."""
    import torch
    from peft import LoraConfig
    from safetensors.torch import save_file

    folder = tmp_path / "adapter"
    LoraConfig(r=2, target_modules=["q_proj"]).save_pretrained(str(folder))
    save_file(
        {"base_model.model.layers.0.q_proj.lora_A.weight": torch.zeros(2, 4)},
        str(folder / "adapter_model.safetensors"),
    )
    return folder


def test_a_fresh_registry_serves_extractive_and_holds_the_base_model(db: Database) -> None:
    registry.ensure_bootstrap(db, base_model="smollm2-135m-instruct")  # idempotent

    versions = {v.id: v for v in registry.list_versions(db)}

    assert set(versions) == {"extractive", "base"}
    assert registry.live_version_id(db) == "extractive"
    assert versions["extractive"].status == "live"
    assert versions["base"].status == "candidate"
    assert versions["base"].base_model == "smollm2-135m-instruct"
    [history] = registry.promotions(db)
    assert (history.action, history.to_version) == ("bootstrap", "extractive")


def test_candidates_get_sequential_ids_and_keep_their_lineage(db: Database, adapter: Path) -> None:
    first, second = _candidate(db, adapter), _candidate(db, adapter)

    assert (first, second) == ("v1", "v2")
    version = registry.get_version(db, first)
    assert version.kind == "adapter" and version.status == "candidate"
    assert version.adapter_path == str(adapter)
    assert (version.dataset_version_id, version.dataset_hash) == ("ds-1", "abc123")
    assert version.hyperparameters == {"lora_r": 8, "learning_rate": 2e-4}
    assert version.code_version == "deadbeef"
    assert version.metrics == {"training": {"train_loss": 1.2}}
    assert version.to_json()["created_at"]


def test_an_unevaluated_candidate_is_refused(db: Database, adapter: Path) -> None:
    version_id = _candidate(db, adapter)

    with pytest.raises(RegistryError, match="has not been evaluated"):
        registry.promote(db, version_id, actor="ana")

    assert registry.live_version_id(db) == "extractive"


def test_a_failed_version_is_refused_even_when_forced(db: Database, adapter: Path) -> None:
    version_id = _candidate(db, adapter)
    registry.mark_failed(db, version_id, "NaN loss at step 3")

    with pytest.raises(RegistryError, match="NaN loss at step 3"):
        registry.promote(db, version_id, actor="ana", force=True, reason="urgent")

    assert registry.live_version_id(db) == "extractive"


def test_a_gate_failure_needs_force_and_a_reason(db: Database, adapter: Path) -> None:
    version_id = _candidate(db, adapter)
    _evaluated(db, version_id, passed=False)

    with pytest.raises(
        RegistryError, match=r"did not pass the promotion gate \(failed: min_gain\)"
    ):
        registry.promote(db, version_id, actor="ana")
    with pytest.raises(RegistryError, match="needs a reason"):
        registry.promote(db, version_id, actor="ana", force=True)
    assert registry.live_version_id(db) == "extractive"

    done = registry.promote(db, version_id, actor="ana", force=True, reason="legal asked")

    assert (done.from_version, done.to_version, done.forced) == ("extractive", version_id, True)
    assert registry.promotions(db)[0].reason == "legal asked"
    live = registry.live_version(db)
    assert live is not None and (live.id, live.promoted_by) == (version_id, "ana")
    assert registry.get_version(db, "extractive").status == "retired"


def test_promote_a_passing_version_then_roll_back(db: Database, adapter: Path) -> None:
    _evaluated(db, "base", passed=True)
    registry.promote(db, "base", actor="bootstrap-eval")
    version_id = _candidate(db, adapter)
    _evaluated(db, version_id, passed=True)

    done = registry.promote(db, version_id, actor="ana")

    assert (done.from_version, done.forced) == ("base", False)
    assert registry.live_version_id(db) == version_id
    back = registry.rollback(db, actor="ben", reason="complaints")
    assert (back.from_version, back.to_version, back.action) == (version_id, "base", "rollback")
    assert registry.live_version_id(db) == "base"
    assert registry.get_version(db, version_id).status == "retired"
    again = registry.rollback(db, actor="ben", to=version_id)
    assert again.to_version == version_id
    with pytest.raises(RegistryError, match="already live"):
        registry.promote(db, version_id, actor="ana")


def test_rollback_needs_an_earlier_live_version(db: Database, adapter: Path) -> None:
    with pytest.raises(RegistryError, match="no earlier version"):
        registry.rollback(db, actor="ben")
    version_id = _candidate(db, adapter)
    _evaluated(db, version_id, passed=True)
    with pytest.raises(RegistryError, match="was never live"):
        registry.rollback(db, actor="ben", to=version_id)


def test_an_adapter_for_another_base_model_is_refused(db: Database, adapter: Path) -> None:
    version_id = _candidate(db, adapter, base="qwen2.5-0.5b-instruct")
    _evaluated(db, version_id, passed=True)

    with pytest.raises(RegistryError, match=r"trained on 'qwen2\.5-0\.5b-instruct'"):
        registry.promote(db, version_id, actor="ana")
    assert registry.live_version_id(db) == "extractive"


def test_a_folder_path_and_the_model_name_are_the_same_base(db: Database, adapter: Path) -> None:
    version_id = _candidate(db, adapter, base="/data/models/smollm2-135m-instruct/")
    _evaluated(db, version_id, passed=True)

    assert registry.promote(db, version_id, actor="ana").to_version == version_id


def test_a_corrupt_adapter_folder_is_refused(db: Database, adapter: Path) -> None:
    version_id = _candidate(db, adapter)
    _evaluated(db, version_id, passed=True)
    (adapter / "adapter_model.safetensors").write_bytes(b"truncated by a crash")

    with pytest.raises(RegistryError, match="cannot be promoted: corrupt or missing adapter"):
        registry.promote(db, version_id, actor="ana")
    assert registry.live_version_id(db) == "extractive"


def test_unknown_versions_are_named(db: Database) -> None:
    with pytest.raises(RegistryError, match="no model version 'v9'"):
        registry.get_version(db, "v9")


def test_an_empty_base_model_means_the_shipped_one(db: Database, adapter: Path) -> None:
    version_id = _candidate(db, adapter, base="")

    assert registry.get_version(db, version_id).base_model == "smollm2-135m-instruct"
