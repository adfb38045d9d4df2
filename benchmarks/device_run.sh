#!/usr/bin/env bash
# Generation latency of the default model's architecture on the GPU machine (the `device` tool).
#
# Build the bundle here first (.venv/bin/python -m benchmarks.device_bundle), then:
#   run(command="bash benchmarks/device_run.sh", carry=["benchmarks/device-bundle"])
# Results land in $OUT/generation-gpu.json (and the table in the output).
set -euo pipefail

BUNDLE=benchmarks/device-bundle
OUT=${OUT:-benchmarks/results}  # the device tool sets OUT; elsewhere, the ignored results folder
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1

if ! python -c "import langchain_core" 2>/dev/null; then
    site=$(mktemp -d)  # installed beside the device's packages, never into them
    python -m pip install --quiet --no-index --find-links "$BUNDLE/wheels" \
        --target "$site" langchain-core
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"

python -m benchmarks.bench_generation --device cuda --random-weights \
    --models-dir "$BUNDLE/models" --prompts "$BUNDLE/prompts.jsonl" \
    --n "${N:-40}" --max-new-tokens "${MAX_NEW_TOKENS:-120}" \
    --output "$OUT/generation-gpu.json"
