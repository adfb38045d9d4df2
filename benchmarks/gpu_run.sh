#!/usr/bin/env bash
# Issue 15 in one device call: LoRA training tokens/s, step time, MFU and peak memory of the
# naive baseline and the fast variants side by side (SmolLM2-135M and Qwen2.5-0.5B, random
# weights of the real architectures), then generation TTFT/total on the engine's real prompts
# with the GPU path (bf16, static KV cache, compiled decode, warm-up at load).
#
# Build the bundle here first, then one call:
#   .venv/bin/python -m benchmarks.device_bundle
#   run(command="bash benchmarks/gpu_run.sh", carry=["benchmarks/device-bundle"], timeout_s=600)
# Results: $OUT/gpu-results.json (training-*.json and generation-gpu.json beside it).
# Check it end to end on this CPU with tiny sizes (a shrunken model, 2 steps):
#   .venv/bin/python -m benchmarks.device_bundle --no-wheels --no-prompts --out /tmp/bundle
#   BUNDLE=/tmp/bundle PYTHON=.venv/bin/python bash benchmarks/gpu_run.sh --smoke
set -euo pipefail

SMOKE=0
[[ "${1:-}" == "--smoke" ]] && SMOKE=1
BUNDLE=${BUNDLE:-benchmarks/device-bundle}
OUT=${OUT:-benchmarks/results}  # the device tool sets OUT; elsewhere, the ignored results folder
PY=${PYTHON:-python}
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

# Our training stack's exact versions beside the device's packages (never into them).
paths=()
if [[ $SMOKE == 0 && -d "$BUNDLE/training-wheels" ]]; then
    train_site=$(mktemp -d)
    $PY -m pip install --quiet --no-index --no-deps --target "$train_site" \
        "$BUNDLE"/training-wheels/*.whl
    # Keep them only if they import against the device's torch and other packages.
    if PYTHONPATH="$train_site" $PY -c "import trl, peft, transformers, datasets" 2>/dev/null; then
        paths+=("$train_site")
    else
        echo "carried training stack does not import here; using the device's own packages"
    fi
fi
if ! $PY -c "import langchain_core" 2>/dev/null; then
    lc_site=$(mktemp -d)
    $PY -m pip install --quiet --no-index --find-links "$BUNDLE/wheels" \
        --target "$lc_site" langchain-core
    paths+=("$lc_site")
fi
for p in "${paths[@]}"; do export PYTHONPATH="$p${PYTHONPATH:+:$PYTHONPATH}"; done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PY -c "import torch, transformers, trl, peft; print('torch', torch.__version__, \
'transformers', transformers.__version__, 'trl', trl.__version__, 'peft', peft.__version__)"

if [[ $SMOKE == 1 ]]; then
    SIZE=(--smoke --examples 6 --steps 2 --run-timeout 300)
    DEVICE=cpu; N=2; NEW=8
else
    SIZE=(--examples "${EXAMPLES:-320}" --steps "${STEPS:-20}" --run-timeout 90)
    DEVICE=cuda; N=${N:-30}; NEW=80
fi
# The naive baseline (batch 16 of ~500-token examples, as issue 15's reference figures), then
# the fast profile's variants at the same ~16 examples per step (8 packed 1,024-token rows).
PROFILES=(
    "naive+batch_size=16"
    "fast+batch_size=8"
    "fast+batch_size=8+attn_implementation=flex_attention"
    "fast+batch_size=16+packing=false+padding_free=false"
    "fast+batch_size=8+torch_compile=true"
    "fast+batch_size=1+max_length=8192"
)
if [[ $SMOKE == 1 ]]; then  # same variants, small batches: a check that each one runs
    PROFILES=("${PROFILES[@]/batch_size=16/batch_size=2}")
    PROFILES=("${PROFILES[@]/batch_size=8/batch_size=1}")
    PROFILES=("${PROFILES[@]/max_length=8192/max_length=2048}")
fi
QWEN_PROFILES=("${PROFILES[@]:0:3}")
# Each block has a wall-clock cap so the whole call fits one 600 s device command.
timeout "${SMOL_S:-300}" $PY -m benchmarks.bench_training \
    --model "config:$BUNDLE/models/smollm2-135m-instruct" "${SIZE[@]}" \
    --profiles "${PROFILES[@]}" --output "$OUT/training-smollm2-135m.json" \
    || echo "training benchmark for SmolLM2 failed or ran out of time"
timeout "${QWEN_S:-170}" $PY -m benchmarks.bench_training \
    --model "config:$BUNDLE/models/qwen2.5-0.5b" "${SIZE[@]}" \
    --profiles "${QWEN_PROFILES[@]}" --output "$OUT/training-qwen2.5-0.5b.json" \
    || echo "training benchmark for Qwen2.5-0.5B failed or ran out of time"

prompts=()
[[ -f "$BUNDLE/prompts.jsonl" ]] && prompts=(--prompts "$BUNDLE/prompts.jsonl")
timeout "${GEN_S:-100}" $PY -m benchmarks.bench_generation --device "$DEVICE" --random-weights \
    --models-dir "$BUNDLE/models" "${prompts[@]}" --n "$N" --max-new-tokens "$NEW" \
    --output "$OUT/generation-gpu.json" || echo "generation benchmark failed"

$PY - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
parts = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json")) if p.stem != "gpu-results"}
(out / "gpu-results.json").write_text(json.dumps(parts, indent=2))
for name, part in parts.items():
    print(name, json.dumps(part.get("summary") or {k: v for k, v in part.get("models", {}).items()}, indent=1)[:3000])
PY
