"""Time from `make run` (virtualenv built) to the first answer, step by step, on a fresh data dir.

Runs what `make run` runs, as separate processes: `helpbot db upgrade`, `helpbot ingest` of the
sample handbook, `helpbot models prepare` (the one-time GGUF conversion), then one `helpbot ask`
with the configured generator. The machine's load average is reported with the figures, since a
shared machine slows every step. Target: under 30 s in all.

    .venv/bin/python -m benchmarks.bench_first_answer [--out FILE] [--keep-models DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import HANDBOOK, REPO, emit

QUESTION = "How many weeks of parental leave do I get?"
TARGET_S = 30.0


def _step(name: str, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    helpbot = str(Path(sys.executable).with_name("helpbot"))
    started = time.perf_counter()
    done = subprocess.run(
        [helpbot, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


def measure(data_dir: Path, keep_models: Path | None = None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}
    env |= {"HELPBOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    if keep_models is not None:  # a warm second run: the converted model is already there
        (data_dir / "models").mkdir(parents=True, exist_ok=True)
        target = data_dir / "models" / keep_models.name
        if not target.exists():
            target.symlink_to(keep_models.resolve())
    load_before = os.getloadavg()
    steps: dict[str, float] = {}
    steps["db upgrade"], _ = _step("db upgrade", ["db", "upgrade"], env)
    steps["ingest sample"], _ = _step("ingest", ["ingest", str(HANDBOOK)], env)
    _, listing = _step("docs list", ["docs", "list", "--json"], env)  # not timed
    documents = json.loads(listing)
    steps["models prepare"], _ = _step("models prepare", ["models", "prepare"], env)
    steps["first ask"], answer = _step("ask", ["ask", QUESTION], env)
    total = sum(steps.values())
    return {
        "benchmark": "first_answer",
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
        "total_s": round(total, 2),
        "target_s": TARGET_S,
        "within_target": total < TARGET_S,
        "documents": len(documents),
        "chunks": sum(d["chunks"] or 0 for d in documents),
        "answer_head": answer.strip().splitlines()[0][:160] if answer.strip() else "",
        "loadavg_1_5_15_before": [round(x, 2) for x in load_before],
        "loadavg_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "warm_model": keep_models is not None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Also write the JSON result here.")
    parser.add_argument(
        "--keep-models",
        type=Path,
        help="An already converted model folder to reuse (measures a second run).",
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helpbot-first-") as folder:
        result = measure(Path(folder) / "data", options.keep_models)
    emit(result, options.out)


if __name__ == "__main__":
    main()
