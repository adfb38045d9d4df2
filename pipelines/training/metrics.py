"""Per-step training metrics (loss, speed, memory, MFU) for the job's live curves, plus cancel
and NaN watch: a transformers TrainerCallback."""

from __future__ import annotations

import logging
import math
import resource
import time
from collections.abc import Callable
from typing import Any

import torch
from transformers import TrainerCallback

logger = logging.getLogger(__name__)

# Peak dense bf16 TFLOP/s of GPUs we may meet (vendor figures, without sparsity).
GPU_PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def peak_tflops(device: str, configured: float | None) -> float | None:
    """The device's peak TFLOP/s for MFU: the configured figure, else a known GPU's, else None."""
    if configured:
        return configured
    if device.startswith("cuda") and torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        return next((peak for key, peak in GPU_PEAK_TFLOPS.items() if key in name), None)
    return None


def peak_memory_mb(device: str) -> float:
    """Peak memory so far: allocated GPU memory on CUDA, the process's peak RSS on CPU."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class StepMetrics(TrainerCallback):
    """Reports each optimizer step's metrics to `on_step`, stops on `should_stop()` (cancel)
    and on a non-finite loss (NaN), and keeps totals for the run's summary.

    MFU counts TRL's FLOPs per token (forward + backward = 3 x forward, attention included)
    against the device's peak; LoRA skips the frozen weights' gradients, so it is an estimate.
    """

    def __init__(
        self,
        *,
        device: str,
        flops_per_token: int,
        peak_tflops: float | None,
        on_step: Callable[[dict[str, Any]], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.device = device
        self.flops_per_token = flops_per_token
        self.peak_flops = peak_tflops * 1e12 if peak_tflops else None
        self.on_step = on_step
        self.should_stop = should_stop
        self.cancelled = False
        self.nan_step: int | None = None
        self.step_seconds: list[float] = []
        self.tokens = 0
        self.eval_losses: list[float] = []
        self._step_started: float | None = None
        self._window_seconds = 0.0  # step time since the last logged step

    # --- timing -------------------------------------------------------------------------

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._step_started is None:
            self._step_started = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._step_started is not None:
            seconds = time.perf_counter() - self._step_started
            self.step_seconds.append(seconds)
            self._window_seconds += seconds
            self._step_started = None
        if self.should_stop is not None and self.should_stop():
            logger.info("training cancelled at step %d", state.global_step)
            self.cancelled = True
            control.should_training_stop = True

    # --- logged values ------------------------------------------------------------------

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        logs = logs or {}
        if "loss" in logs:
            self._train_step(state, control, logs)
        if "eval_loss" in logs:
            value = float(logs["eval_loss"])
            if not math.isfinite(value):
                self.nan_step = state.global_step
                control.should_training_stop = True
            self.eval_losses.append(value)
            self._emit({"step": state.global_step, "epoch": logs.get("epoch"), "eval_loss": value})

    def _train_step(self, state: Any, control: Any, logs: dict[str, Any]) -> None:
        loss = float(logs["loss"])
        if not math.isfinite(loss) and self.nan_step is None:
            self.nan_step = state.global_step
            control.should_training_stop = True
        total = int(logs.get("num_tokens", self.tokens))
        new_tokens, self.tokens = total - self.tokens, total
        seconds, self._window_seconds = self._window_seconds, 0.0
        tokens_per_s = new_tokens / seconds if seconds > 0 else None
        self._emit(
            {
                "step": state.global_step,
                "epoch": logs.get("epoch"),
                "loss": loss,
                "lr": logs.get("learning_rate"),
                "grad_norm": logs.get("grad_norm"),
                "tokens": new_tokens,
                "tokens_per_s": None if tokens_per_s is None else round(tokens_per_s, 1),
                "step_time_s": round(seconds, 4),
                "peak_mem_mb": peak_memory_mb(self.device),
                "mfu": self.mfu(tokens_per_s),
            }
        )

    def _emit(self, values: dict[str, Any]) -> None:
        if self.on_step is not None:
            self.on_step(values)

    # --- totals -------------------------------------------------------------------------

    def mfu(self, tokens_per_s: float | None) -> float | None:
        if not tokens_per_s or not self.peak_flops:
            return None
        return round(tokens_per_s * self.flops_per_token / self.peak_flops, 4)

    def summary(self) -> dict[str, Any]:
        seconds = sum(self.step_seconds)
        # The first step pays for warm-up (allocations, kernel selection, compilation).
        steady = self.step_seconds[1:] or self.step_seconds
        tokens_per_s = self.tokens / seconds if seconds > 0 else None
        return {
            "tokens": self.tokens,
            "tokens_per_s": None if tokens_per_s is None else round(tokens_per_s, 1),
            "step_time_s": round(sum(steady) / len(steady), 4) if steady else None,
            "peak_mem_mb": peak_memory_mb(self.device),
            "mfu": self.mfu(tokens_per_s),
        }
