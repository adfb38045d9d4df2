"""LoRA training speed: tokens/s, step time, peak memory and MFU of profiles side by side.

Every profile trains on the same synthetic dataset (realistic ~500-token RAG examples built by
the one prompt builder) in its own subprocess, so peak memory and thread settings do not leak
from one to the next; profiles alternate over `--repeats` rounds on a shared machine.

    .venv/bin/python -m benchmarks.bench_training                       # tiny model, fast vs naive
    .venv/bin/python -m benchmarks.bench_training --model shipped --steps 6 --examples 48
    .venv/bin/python -m benchmarks.bench_training --model config:DIR --profiles naive fast \\
        'fast+attn_implementation=flex_attention' --output results.json   # random weights (GPU)

A profile is a name ("fast", "naive") or a YAML path, optionally followed by `+key=value`
overrides (YAML values): `fast+torch_compile=true+batch_size=8`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.common import REPO, emit

SHRUNK = {
    "num_hidden_layers": 2,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
}
"""--smoke: a random model of the same family this small runs anywhere in seconds."""

COLUMNS = ("tokens_per_s", "step_time_s", "peak_mem_mb", "mfu", "train_loss", "seconds")


def parse_profile(spec: str) -> tuple[str, dict[str, Any]]:
    """'fast+batch_size=8+torch_compile=true' -> ("fast", {"batch_size": 8, ...})."""
    import yaml

    name, *pairs = spec.split("+")
    overrides = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        overrides[key] = yaml.safe_load(value)
    return name, overrides


def build_model(kind: str, scratch: Path, models_dir: Path, *, shrink: bool = False) -> Path:
    """The model folder to train: "tiny" (2 layers, hidden 64), "shipped" (the converted
    SmolLM2), or "config:DIR" (DIR's architecture and tokenizer with random weights; `shrink`
    cuts it to 2 layers of width 64 with the same vocabulary, for a smoke run)."""
    from knowledge.generation.model_files import ensure_shipped_model
    from knowledge.generation.testing import build_tiny_model, smollm2_tokenizer

    if kind == "shipped":
        return ensure_shipped_model(models_dir)
    if kind == "tiny":
        return build_tiny_model(scratch / "tiny-llama", smollm2_tokenizer(scratch, models_dir))
    if kind.startswith("config:"):
        config_dir = Path(kind.removeprefix("config:"))
        return random_weights(config_dir, scratch / "random-weights", shrink=shrink)
    raise SystemExit(f"unknown --model {kind!r}: tiny, shipped or config:DIR")


def random_weights(config_dir: Path, folder: Path, *, shrink: bool = False) -> Path:
    """`config_dir`'s architecture with random weights, saved with the folder's tokenizer (a
    tokenizer with a smaller vocabulary than the model's is fine for speed: ids stay in range)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(config_dir)
    if shrink:
        config.update(SHRUNK)
        if getattr(config, "layer_types", None):  # per-layer lists follow the layer count
            config.layer_types = config.layer_types[: SHRUNK["num_hidden_layers"]]
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(config_dir).save_pretrained(folder)
    return folder


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    """Train one profile (in this process) and return its metrics."""
    from pipelines.training import load_config, train_adapter

    name, overrides = parse_profile(args.one)
    config = load_config(
        name,
        **{
            "max_steps": args.steps,
            "eval_each_epoch": False,
            "early_stopping_patience": 0,
            "max_length": args.max_length,
            **({"num_threads": args.threads} if args.threads else {}),
            **overrides,
        },
    )
    output = Path(tempfile.mkdtemp(prefix="bench-training-")) / "adapter"
    result = train_adapter(config, args.dataset, output, base_model=str(args.model_dir))
    metrics = dict(result.metrics)
    metrics["config"] = config.to_dict()
    return metrics


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny", help="tiny | shipped | config:DIR")
    parser.add_argument("--profiles", nargs="+", default=["naive", "fast"])
    parser.add_argument("--examples", type=int, default=32, help="synthetic training examples")
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per profile")
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=1, help="rounds over the profiles")
    parser.add_argument("--threads", type=int, default=None, help="torch threads on CPU")
    parser.add_argument("--models-dir", type=Path, default=REPO / "data" / "models")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--run-timeout", type=float, default=900, help="seconds one profile may take"
    )
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dataset", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one:  # the subprocess side: one profile, one JSON line
        print("RESULT " + json.dumps(run_one(args)), flush=True)
        return {}
    if args.smoke:
        args.examples, args.steps = min(args.examples, 6), min(args.steps, 2)

    import torch

    from pipelines.training.testing import write_synthetic_dataset

    scratch = Path(tempfile.mkdtemp(prefix="bench-training-"))
    model_dir = build_model(args.model, scratch, args.models_dir, shrink=args.smoke)
    dataset = write_synthetic_dataset(scratch / "dataset", train=args.examples, validation=0)
    cuda = torch.cuda.is_available()
    result: dict[str, Any] = {
        "benchmark": "training",
        "model": args.model,
        "examples": args.examples,
        "steps": args.steps,
        "max_length": args.max_length,
        "device": torch.cuda.get_device_name() if cuda else platform.processor() or "cpu",
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "runs": {spec: [] for spec in args.profiles},
    }
    for _ in range(args.repeats):
        for spec in args.profiles:
            result["runs"][spec].append(subprocess_run(spec, model_dir, dataset, args))
            result["summary"] = summarise(result["runs"])
            if args.output:  # after every run: a time limit that cuts the rest loses nothing
                args.output.parent.mkdir(parents=True, exist_ok=True)
                args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    emit(result, args.output)
    print_table(result)
    return result


def subprocess_run(
    spec: str, model_dir: Path, dataset: Path, args: argparse.Namespace
) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "benchmarks.bench_training", "--one", spec,
        "--model-dir", str(model_dir), "--dataset", str(dataset),
        "--steps", str(args.steps), "--max-length", str(args.max_length),
    ]  # fmt: skip
    if args.threads:
        command += ["--threads", str(args.threads)]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=REPO, check=False,
            timeout=args.run_timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print(f"profile {spec} took over {args.run_timeout} s", file=sys.stderr)
        return {"error": f"timeout after {args.run_timeout} s"}
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        tail = (done.stderr or done.stdout)[-2000:]
        print(f"profile {spec} failed:\n{tail}", file=sys.stderr)
        return {"error": tail.strip().splitlines()[-1] if tail.strip() else "failed"}
    metrics: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    metrics["process_s"] = round(time.perf_counter() - started, 2)
    return metrics


def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Best tokens/s of each profile, and each one's speed-up over the first profile named."""
    best: dict[str, dict[str, Any]] = {}
    for spec, tries in runs.items():
        good = [t for t in tries if "error" not in t]
        if good:
            best[spec] = max(good, key=lambda t: t["tokens_per_s"] or 0)
    baseline = best.get(next(iter(runs), ""))  # the first profile named; none if it failed
    summary = {}
    for spec, row in best.items():
        summary[spec] = {key: row.get(key) for key in COLUMNS}
        if baseline and baseline["tokens_per_s"] and row["tokens_per_s"]:
            summary[spec]["speedup"] = round(row["tokens_per_s"] / baseline["tokens_per_s"], 2)
        if row.get("tokens_per_s"):
            # Seconds to train 100 examples for one epoch at this speed (steady state).
            seconds = 100 * row["example_tokens_mean"] / row["tokens_per_s"]
            summary[spec]["s_per_100_examples"] = round(seconds, 1)
    return summary


def print_table(result: dict[str, Any]) -> None:
    keys = (*COLUMNS, "speedup", "s_per_100_examples")
    print(f"\n{'profile':<44}" + "".join(f"{key[:14]:>15}" for key in keys))
    for spec, row in result["summary"].items():
        cells = "".join(f"{'-' if row.get(key) is None else row[key]!s:>15}" for key in keys)
        print(f"{spec[:44]:<44}{cells}")
    print(
        f"model {result['model']}, device {result['device']}, {result['steps']} steps, "
        f"load average {result['loadavg_start']} -> {result['loadavg_end']}"
    )


if __name__ == "__main__":
    main()
