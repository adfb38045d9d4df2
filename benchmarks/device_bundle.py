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

Then, with the bundle carried:

    run(command="bash benchmarks/device_run.sh", carry=["benchmarks/device-bundle"])
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


def model_files(target: Path, scratch: Path) -> Path:
    """Config and tokenizer of the shipped model (converted here once, weights left behind)."""
    from knowledge.generation.models import SHIPPED_MODEL_NAME, ensure_shipped_model

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
    from knowledge.answering.engine import EngineOptions
    from knowledge.answering.prompts import build_messages
    from knowledge.evaluation import load_qa
    from knowledge.generation.chat_format import to_chat_dicts

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
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    folder = model_files(args.out / "models", args.models_dir)
    print(f"model config and tokenizer: {folder}")
    count = prompts(args.out / "prompts.jsonl")
    print(f"prompts: {count} -> {args.out / 'prompts.jsonl'}")
    if not args.no_wheels:
        wheels(args.out / "wheels")
        print(f"wheels: {len(list((args.out / 'wheels').glob('*.whl')))} -> {args.out / 'wheels'}")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"bundle: {size / 2**20:.1f} MiB (the device carries at most 64 MiB)")


if __name__ == "__main__":
    main()
