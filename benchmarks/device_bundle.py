"""Pack what the GPU machine needs to measure generation latency, then run it there in one call.

    .venv/bin/python -m benchmarks.device_bundle            # writes benchmarks/device-bundle/

The GPU machine (the `device` tool) has torch and transformers but no network, and only the
working tree plus 64 MiB of carried files travel to it. The shipped model (a 93 MB GGUF, 540 MB
converted) does not fit, so the bundle carries what generation speed depends on instead:

- `models/SmolLM2-135M-Instruct/`: the default model's config and tokenizer, no weights. There
  the benchmark builds the same architecture with random weights: time per token depends on
  the architecture, the prompt length and the number of tokens, not on the weights' values.
- `prompts.jsonl`: the exact chat messages the answer engine sends for each answerable sample
  question (real retrieval over the sample handbook, the one prompt builder), so prompt lengths
  are those of real answers.
- `wheels/`: langchain-core and its dependencies for Python 3.12, installed there only when
  missing (our generation code speaks langchain's message types).
- `models/qwen2.5-0.5b/`: Qwen2.5-0.5B's published architecture (config only) with the SmolLM2
  tokenizer, for training throughput at 0.5B (ids stay inside its larger vocabulary).
- `training-wheels/`: the exact transformers, TRL, PEFT, accelerate, datasets and hub client
  versions installed here (no dependencies), so the GPU trainer runs the same code as the CPU
  one whatever the device has preinstalled.

Then, with the bundle carried:

    run(command="bash benchmarks/device_run.sh", carry=["benchmarks/device-bundle"])
    run(command="bash benchmarks/gpu_run.sh", carry=["benchmarks/device-bundle"])  # everything
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.common import QA_FILE, REPO

BUNDLE = REPO / "benchmarks" / "device-bundle"
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
)
DEVICE_PYTHON = "3.12"
"""The GPU machine's Python (OFFLINE.md); wheels are fetched for it."""


QWEN_0_5B = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_act": "silu",
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "max_window_layers": 24,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "use_sliding_window": False,
    "tie_word_embeddings": True,
    "vocab_size": 151936,
    "attention_dropout": 0.0,
    "initializer_range": 0.02,
    "bos_token_id": 151643,
    "eos_token_id": 151643,
}
"""Qwen2.5-0.5B's architecture as published in its config.json (no weights: random there)."""

TRAINING_PACKAGES = (
    "transformers",
    "trl",
    "peft",
    "accelerate",
    "datasets",
    "huggingface-hub",
    "tokenizers",
    "safetensors",
)
"""Carried at this machine's versions, installed --no-deps on the device (see gpu_run.sh)."""


def qwen_files(target: Path, tokenizer_from: Path) -> Path:
    """Qwen2.5-0.5B's config with the SmolLM2 tokenizer, for random-weight training runs."""
    folder = target / "qwen2.5-0.5b"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(QWEN_0_5B, indent=2), encoding="utf-8")
    for name in MODEL_FILES:
        if name.startswith(("tokenizer", "special_tokens", "chat_template")):
            source = tokenizer_from / name
            if source.is_file():
                shutil.copy2(source, folder / name)
    return folder


def training_wheels(target: Path) -> None:
    """The training stack at this machine's versions, for the device's Python, no dependencies."""
    from importlib.metadata import version

    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--dest", str(target), "--only-binary=:all:",
            "--python-version", DEVICE_PYTHON,
            "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
            *(f"{name}=={version(name)}" for name in TRAINING_PACKAGES),
        ],
        check=True,
    )  # fmt: skip


def model_files(target: Path, scratch: Path) -> Path:
    """Config and tokenizer of the shipped model (converted here once, weights left behind)."""
    from knowledge.generation.model_files import SHIPPED_MODEL_NAME, ensure_shipped_model

    converted = ensure_shipped_model(scratch)
    folder = target / SHIPPED_MODEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (converted / name).is_file():
            shutil.copy2(converted / name, folder / name)
    return folder


def prompts(target: Path) -> int:
    """The engine's messages for every answerable sample question, one JSON list per line."""
    from benchmarks.calibrate_abstention import ingested_services
    from knowledge.answering.answer_engine import EngineOptions
    from knowledge.answering.prompts import build_messages
    from knowledge.generation.chat_format import to_chat_dicts
    from knowledge.qa_harness import load_qa

    services = ingested_services(None)
    options = EngineOptions()
    lines = []
    for item in load_qa(QA_FILE):
        if not item.answerable:
            continue
        passages = services.retriever.retrieve(
            item.question, audiences=item.audiences, k=options.search_k
        )
        messages = build_messages(item.question, passages[: options.prompt_passages])
        lines.append(json.dumps(to_chat_dicts(messages)))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def wheels(target: Path) -> None:
    """langchain-core (the version installed here) and its dependencies, for the device."""
    from importlib.metadata import version

    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--dest",
            str(target),
            "--only-binary=:all:",
            "--python-version",
            DEVICE_PYTHON,
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux_2_17_x86_64",
            f"langchain-core=={version('langchain-core')}",
        ],
        check=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUNDLE)
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=REPO / "data" / "models",
        help="where the shipped model is (or gets) converted (default: data/models)",
    )
    parser.add_argument("--no-wheels", action="store_true", help="skip downloading wheels")
    parser.add_argument(
        "--no-prompts", action="store_true", help="skip the real prompts (built-in ones are used)"
    )
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    folder = model_files(args.out / "models", args.models_dir)
    print(f"model config and tokenizer: {folder}")
    print(f"qwen config: {qwen_files(args.out / 'models', folder)}")
    if not args.no_prompts:
        count = prompts(args.out / "prompts.jsonl")
        print(f"prompts: {count} -> {args.out / 'prompts.jsonl'}")
    if not args.no_wheels:
        wheels(args.out / "wheels")
        print(f"wheels: {len(list((args.out / 'wheels').glob('*.whl')))} -> {args.out / 'wheels'}")
        training_wheels(args.out / "training-wheels")
        carried = sorted(p.name for p in (args.out / "training-wheels").iterdir())
        print(f"training wheels: {carried}")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"bundle: {size / 2**20:.1f} MiB (the device carries at most 64 MiB)")


if __name__ == "__main__":
    main()
