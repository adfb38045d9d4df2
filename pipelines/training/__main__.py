"""Command line for one training run, the same code path on CPU, one GPU or several GPUs.

    python -m pipelines.training --dataset DIR --output DIR --base-model MODEL [--config fast]
    accelerate launch --num_processes 4 -m pipelines.training --dataset ... --output ...

Jobs normally reach train_adapter through the worker; this entry point is for several GPUs
(`accelerate launch` starts one process per GPU; rank 0 writes the adapter) and experiments.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import yaml

from pipelines.training.config import load_config
from pipelines.training.train import TrainingError, is_main_process, train_adapter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="a dataset version folder")
    parser.add_argument("--output", type=Path, required=True, help="the new adapter folder")
    parser.add_argument("--base-model", required=True, help="a model folder or hub id")
    parser.add_argument("--config", default=None, help="profile name or YAML (default: fast)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a field"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    overrides = {}
    for pair in args.set:
        key, _, value = pair.partition("=")
        overrides[key] = yaml.safe_load(value)
    try:
        config = load_config(args.config, **overrides)
        result = train_adapter(config, args.dataset, args.output, base_model=args.base_model)
    except (TrainingError, ValueError) as error:
        print(f"training failed: {error}")
        return 1
    if is_main_process():
        print(json.dumps({"adapter_dir": str(result.adapter_dir), **result.metrics}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
