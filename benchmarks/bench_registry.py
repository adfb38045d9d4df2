"""Model registry: the cost of polling the live pointer, and of a promotion's hot swap.

Polling: every answering process reads the live pointer every HELPBOT_MODEL_POLL_SECONDS. The
primary-key read (`registry.live_version_id`) is timed against the baseline of reading every
version (`registry.list_versions`, what a poll without the pointer table would do) in the
same run, with --versions entries in the registry.

Hot swap: LiveAnswerer.refresh() after a promotion, for an adapter not loaded yet (read, check,
inject) and for a rollback to one already loaded (pointer switch only). On a tiny random
Llama by default; --model DIR times a real model folder (e.g. data/models/smollm2-135m-instruct).

    .venv/bin/python -m benchmarks.bench_registry
    .venv/bin/python -m benchmarks.bench_registry --model data/models/smollm2-135m-instruct
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import emit, latency_summary  # noqa: E402
from knowledge.db import registry  # noqa: E402
from knowledge.db.connection import Database  # noqa: E402


def _register(db: Database, base: str, adapter: Path) -> str:
    version_id = registry.register_candidate(
        db,
        base_model=base,
        adapter_path=adapter,
        dataset_version_id="bench",
        dataset_hash="0" * 16,
        hyperparameters={"lora_r": 8},
        code_version="bench",
        training_metrics={},
        created_by="bench",
    )
    registry.mark_evaluating(db, version_id)
    registry.save_report(
        db, version_id, live_version_id=None, passed=True, report={}, created_by="bench"
    )
    return version_id


def bench_polling(db: Database, versions: int, polls: int) -> dict[str, Any]:
    for n in range(versions):
        _register(db, "bench-base", Path(f"/adapters/{n}"))
    timings: dict[str, list[float]] = {"pointer_pk_read": [], "baseline_list_versions": []}
    for _ in range(polls):
        started = time.perf_counter()
        registry.live_version_id(db)
        timings["pointer_pk_read"].append(time.perf_counter() - started)
        started = time.perf_counter()
        [v.id for v in registry.list_versions(db) if v.status == "live"]
        timings["baseline_list_versions"].append(time.perf_counter() - started)
    return {name: latency_summary(values) for name, values in timings.items()}


def bench_swap(root: Path, model: str | None) -> dict[str, Any]:
    from knowledge.answering.answer_engine import EngineOptions
    from knowledge.generation.live import LiveAnswerer, VersionEngines
    from knowledge.generation.local import LocalGenerator
    from knowledge.generation.testing import build_tiny_model, make_lora_adapter, smollm2_tokenizer

    model_dir = Path(model) if model else build_tiny_model(root / "tiny", smollm2_tokenizer(root))
    adapters = [make_lora_adapter(model_dir, root / f"adapter-{i}", seed=i) for i in (1, 2)]
    db = Database(f"sqlite:///{root / 'swap.db'}")
    db.upgrade()
    registry.ensure_bootstrap(db, base_model=str(model_dir))
    local = LocalGenerator(model_dir, device="cpu")
    local.load()
    services: Any = SimpleNamespace(
        settings=SimpleNamespace(generator="local"), db=db, retriever=None
    )
    answerer = LiveAnswerer(db, VersionEngines(services, EngineOptions(), local=local), poll_s=3600)
    answerer.refresh()
    result: dict[str, Any] = {"model": model_dir.name}
    for label, adapter in zip(("first_load_s", "second_load_s"), adapters, strict=True):
        version_id = _register(db, str(model_dir), adapter)
        registry.promote(db, version_id, actor="bench")
        started = time.perf_counter()
        assert answerer.refresh() == version_id
        result[label] = round(time.perf_counter() - started, 4)
    registry.rollback(db, actor="bench")
    started = time.perf_counter()
    answerer.refresh()
    result["rollback_to_loaded_s"] = round(time.perf_counter() - started, 4)
    db.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument("--model", help="a model folder to time the hot swap on")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = Database(f"sqlite:///{root / 'poll.db'}")
        db.upgrade()
        registry.ensure_bootstrap(db, base_model="bench-base")
        result = {
            "versions": args.versions,
            "polls": args.polls,
            "polling": bench_polling(db, args.versions, args.polls),
            "hot_swap": bench_swap(root, args.model),
        }
        db.dispose()
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
