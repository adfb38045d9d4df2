"""Training one LoRA adapter on a dataset version: load data -> build trainer -> train -> save.

One code path for CPU, one GPU and several GPUs (`accelerate launch -m pipelines.training ...`):
TRL's SFTTrainer with a PEFT LoRA config, loss on the answer only (prompt-completion rows),
the model's own chat template (the one serving uses).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipelines.training.config import TrainingConfig, validate
from pipelines.training.data import (
    TrainingCancelled,
    TrainingError,
    fit_length,
    load_splits,
)
from pipelines.training.metrics import StepMetrics, peak_tflops

logger = logging.getLogger(__name__)

CONFIG_COPY = "training_config.yaml"
METRICS_FILE = "training_metrics.json"

__all__ = ["TrainResult", "TrainingCancelled", "TrainingError", "train_adapter"]


@dataclass(frozen=True)
class TrainResult:
    """A finished adapter folder and the run's figures."""

    adapter_dir: Path
    metrics: dict[str, Any]


def pick_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def use_bf16(config: TrainingConfig, device: str) -> bool:
    """Whether to compute in bf16: asked for, or "auto" on a GPU that supports it. On CPU
    "auto" is fp32: bf16 autocast showed no steady gain there (BENCHMARKS.md)."""
    if config.precision != "auto":
        return config.precision == "bf16"
    return device == "cuda" and torch.cuda.is_bf16_supported()


def attention_for(config: TrainingConfig, device: str) -> str:
    if config.attn_implementation != "auto":
        return config.attn_implementation
    if device == "cuda":
        try:
            import flash_attn  # noqa: F401

            return "flash_attention_2"
        except ImportError:
            pass
    return "sdpa"


def train_adapter(
    config: TrainingConfig,
    dataset_dir: Path,
    output_dir: Path,
    *,
    base_model: str,
    on_step: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train a LoRA adapter for `base_model` on `dataset_dir` and save it to `output_dir`.

    The folder appears only when training succeeded (written beside it, then renamed), holding
    the adapter, a copy of the config (training_config.yaml) and the metrics. Raises
    TrainingError with the reason (empty or corrupt data, NaN loss, out of memory) and
    TrainingCancelled when `should_stop()` turned true.
    """
    validate(config)
    output_dir = Path(output_dir)
    if output_dir.exists():
        raise TrainingError(f"{output_dir} already exists: adapters are never overwritten")
    started = time.perf_counter()
    splits = load_splits(Path(dataset_dir))
    device = pick_device()
    if config.num_threads and device == "cpu":
        torch.set_num_threads(config.num_threads)

    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    set_seed(config.seed)
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
    except Exception as error:
        raise TrainingError(f"cannot load the tokenizer of {base_model}: {error}") from error
    if tokenizer.chat_template is None:
        raise TrainingError(f"{base_model} has no chat template: it cannot serve chat answers")
    train_rows, skipped, train_tokens = fit_length(tokenizer, splits.train, config.max_length)
    if not train_rows:
        raise TrainingError(
            f"every training example is longer than max_length={config.max_length} tokens"
        )
    eval_rows, _, _ = fit_length(tokenizer, splits.validation, config.max_length)
    bf16 = use_bf16(config, device)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            base_model,
            dtype=torch.bfloat16 if bf16 else torch.float32,
            attn_implementation=attention_for(config, device),
        )
    except Exception as error:
        raise TrainingError(f"cannot load base model {base_model}: {error}") from error

    from trl.trainer.utils import compute_flops_per_token

    callback = StepMetrics(
        device=device,
        flops_per_token=compute_flops_per_token(model.config, config.max_length),
        peak_tflops=peak_tflops(device, config.peak_tflops),
        on_step=on_step,
        should_stop=should_stop,
    )
    # Under `accelerate launch` every rank must use the same folder (rank 0 saves checkpoints
    # the others load at the end), so the name comes from the launch, not a fresh uuid.
    run_id = os.environ.get("TORCHELASTIC_RUN_ID") if world_size() > 1 else None
    temp = output_dir.parent / f".{output_dir.name}.tmp-{run_id or uuid.uuid4().hex[:8]}"
    try:
        trainer = build_trainer(
            config, model, tokenizer, train_rows, eval_rows, temp / "_checkpoints", bf16, callback
        )
        with answer_only_head(config.answer_only_head):
            outcome = run(trainer)
        check_outcome(callback, outcome.training_loss)
        if is_main_process():
            trainer.model.save_pretrained(str(temp))
            shutil.rmtree(temp / "_checkpoints", ignore_errors=True)
            (temp / CONFIG_COPY).write_text(config.to_yaml(), encoding="utf-8")
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    metrics = {
        "train_loss": round(float(outcome.training_loss), 5),
        "eval_loss": round(min(callback.eval_losses), 5) if callback.eval_losses else None,
        **callback.summary(),
        "steps": int(outcome.global_step),
        "seconds": round(time.perf_counter() - started, 2),
        "examples": len(train_rows),
        "example_tokens_mean": round(train_tokens / len(train_rows), 1),
        "skipped_too_long": skipped,
        "validation_examples": len(eval_rows),
        "device": device,
        "precision": "bf16" if bf16 else "fp32",
    }
    if is_main_process():
        (temp / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        os.rename(temp, output_dir)
    logger.info("adapter trained: %d steps in %.1f s", metrics["steps"], metrics["seconds"])
    return TrainResult(adapter_dir=output_dir, metrics=metrics)


def build_trainer(
    config: TrainingConfig,
    model: Any,
    tokenizer: Any,
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    checkpoints: Path,
    bf16: bool,
    callback: StepMetrics,
) -> Any:
    """TRL SFTTrainer with the LoRA config, the speed settings of `config` and the callbacks."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import EarlyStoppingCallback
    from trl import SFTConfig, SFTTrainer

    evaluate = config.eval_each_epoch and bool(eval_rows)
    early_stop = evaluate and config.early_stopping_patience > 0
    on_gpu = pick_device() == "cuda"
    optimizer = config.optimizer
    if optimizer == "auto":
        optimizer = "adamw_torch_fused" if on_gpu else "adamw_torch"
    args = SFTConfig(
        output_dir=str(checkpoints),
        seed=config.seed,
        data_seed=config.seed,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        max_length=config.max_length,
        packing=config.packing,
        packing_strategy="bfd",
        padding_free=config.padding_free,
        completion_only_loss=True,
        bf16=bf16,
        fp16=False,
        use_cpu=not on_gpu,
        optim=optimizer,
        activation_checkpointing=config.gradient_checkpointing,
        torch_compile=config.torch_compile,
        logging_steps=1,
        logging_nan_inf_filter=False,  # a NaN must reach the callback, not be averaged away
        eval_strategy="epoch" if evaluate else "no",
        save_strategy="epoch" if early_stop else "no",
        save_only_model=True,
        save_total_limit=1 if early_stop else None,
        load_best_model_at_end=early_stop,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        **config.extra,
    )
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_targets,
        task_type="CAUSAL_LM",
    )
    callbacks: list[Any] = [callback]
    if early_stop:
        callbacks.append(EarlyStoppingCallback(config.early_stopping_patience))
    return SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if evaluate else None,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=callbacks,
    )


@contextlib.contextmanager
def answer_only_head(enabled: bool) -> Iterator[None]:
    """While training, let TRL's fused LM head score only the positions that have a label on
    CPU too (it does so only where Triton runs, to keep shapes fixed for compilers; eager CPU
    has no such need). About 90% of a RAG example is prompt, so the head's cost drops ~10x."""
    import trl.trainer.utils as trl_utils

    original = getattr(trl_utils, "_use_triton", None)
    if not enabled or original is None:
        yield
        return

    def compact(device: torch.device) -> bool:
        return device.type == "cpu" or bool(original(device))

    trl_utils._use_triton = compact
    try:
        yield
    finally:
        trl_utils._use_triton = original


def run(trainer: Any) -> Any:
    """trainer.train(), with out-of-memory turned into a TrainingError that says what to do."""
    try:
        return trainer.train()
    except torch.OutOfMemoryError as error:
        raise TrainingError(
            "out of memory: lower batch_size or max_length, or turn gradient_checkpointing on"
        ) from error
    except RuntimeError as error:
        if "out of memory" in str(error) or "can't allocate memory" in str(error):
            raise TrainingError(
                "out of memory: lower batch_size or max_length, or turn gradient_checkpointing on"
            ) from error
        raise


def check_outcome(callback: StepMetrics, train_loss: float) -> None:
    if callback.cancelled:
        raise TrainingCancelled("training was cancelled; no adapter was saved")
    if callback.nan_step is not None or not math.isfinite(train_loss):
        raise TrainingError(
            f"the loss became NaN or infinite at step {callback.nan_step}: the run diverged "
            "(lower learning_rate, or check the data); no adapter was saved"
        )


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Rank 0 of an `accelerate launch` run (or a single process) writes the files."""
    return int(os.environ.get("RANK", "0")) == 0
