"""LoRA fine-tuning hyperparameters: one dataclass, loaded from a versioned YAML profile."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_VERSION = 1
"""Bumped when a field changes meaning; a YAML of another version is refused."""

CONFIGS_DIR = Path(__file__).resolve().parent / "configs"
PROFILES = {"fast": CONFIGS_DIR / "default.yaml", "naive": CONFIGS_DIR / "naive.yaml"}
"""Named profiles: "fast" (the default, chosen by measurement) and "naive" (the baseline)."""


class ConfigError(ValueError):
    """A training configuration that cannot be used, with a sentence saying why."""


@dataclass
class TrainingConfig:
    """Everything that decides how an adapter is trained. Copied next to every adapter."""

    version: int = CONFIG_VERSION
    """Schema version of this configuration (see CONFIG_VERSION)."""

    profile: str = "fast"
    """Name of the profile the values came from ("fast", "naive" or a custom name)."""

    seed: int = 42
    """Seed for torch, Python and data order: the same data and config give the same adapter."""

    epochs: float = 2.0
    """Passes over the training split (early stopping may end sooner)."""

    max_steps: int = -1
    """Hard cap on optimizer steps; -1 means run `epochs` (tests and benchmarks set it)."""

    learning_rate: float = 3e-4
    """Peak learning rate of the LoRA weights."""

    lr_scheduler: str = "cosine"
    """Learning-rate schedule after warm-up (any transformers scheduler name)."""

    warmup_ratio: float = 0.05
    """Share of the total steps spent warming the learning rate up linearly from zero."""

    weight_decay: float = 0.0
    """AdamW weight decay on the LoRA weights."""

    max_grad_norm: float = 1.0
    """Gradient clipping norm."""

    batch_size: int = 4
    """Sequences per device per micro-step (with packing: packed rows of `max_length` tokens)."""

    grad_accum: int = 1
    """Micro-steps accumulated per optimizer step."""

    max_length: int = 1024
    """Longest example in tokens (prompt + answer). Longer examples are skipped, not truncated:
    truncating would cut the answer, the only part the loss is on."""

    packing: bool = True
    """Pack several examples into one row (best-fit decreasing) instead of padding each one."""

    padding_free: bool = True
    """Flatten a batch into one sequence with position ids instead of padding (SDPA and
    FlashAttention keep the examples apart by their position ids)."""

    lora_r: int = 16
    """LoRA rank."""

    lora_alpha: int = 32
    """LoRA scaling numerator (the update is scaled by alpha / r)."""

    lora_dropout: float = 0.05
    """Dropout on the LoRA input."""

    lora_targets: list[str] | str = "all-linear"
    """Modules that get LoRA weights: "all-linear" (every linear layer but lm_head) or names."""

    precision: str = "auto"
    """"auto" (bf16 on a GPU that supports it, else fp32), "bf16" or "fp32" (bf16 also works
    on CPU; it was no steady gain there). LoRA weights and the optimizer state stay in fp32."""

    optimizer: str = "auto"
    """"auto" (fused AdamW on a GPU, plain AdamW on CPU) or any transformers optimizer name."""

    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: less memory, about a third more compute."""

    torch_compile: bool = False
    """Compile the model with torch.compile (pays on a GPU for long runs; slow to start on CPU)."""

    answer_only_head: bool = True
    """Project only the answer tokens (the ones with a loss) through the LM head on CPU too.
    TRL does this on GPUs; on CPU it scores every position, and the 49k-word head then costs
    more than the whole network for a small model."""

    attn_implementation: str = "auto"
    """"auto" (flash_attention_2 when installed on a GPU, else sdpa), "sdpa" or "eager"."""

    eval_each_epoch: bool = True
    """Compute the validation loss after every epoch (when the dataset has a validation split)."""

    early_stopping_patience: int = 1
    """Epochs without a better validation loss before training stops (0: never stop early)."""

    num_threads: int | None = None
    """CPU threads for torch (None: torch's default, one per core)."""

    peak_tflops: float | None = None
    """The device's peak dense TFLOP/s for the MFU estimate (None: looked up for known GPUs)."""

    extra: dict[str, Any] = field(default_factory=dict)
    """Further SFTConfig arguments passed through as they are (an escape hatch for experiments)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


_FIELDS = {f.name for f in dataclasses.fields(TrainingConfig)}
_CHOICES = {
    "precision": {"auto", "bf16", "fp32"},
    "attn_implementation": {"auto", "sdpa", "eager", "flash_attention_2", "flex_attention"},
}


def load_config(path: Path | str | None = None, **overrides: Any) -> TrainingConfig:
    """The config in a YAML file or a named profile (None: "fast"), with `overrides` applied.

    Unknown keys, a wrong version or values out of range raise ConfigError with the reason.
    """
    source = PROFILES["fast"] if path is None else PROFILES.get(str(path), Path(path))
    try:
        data = yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}
    except FileNotFoundError as error:
        raise ConfigError(
            f"no training config at {source} (profiles: {', '.join(PROFILES)})"
        ) from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{source} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must hold a mapping of field: value")
    data.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ConfigError(f"unknown training config field(s) {unknown} in {source}")
    if data.get("version", CONFIG_VERSION) != CONFIG_VERSION:
        raise ConfigError(
            f"{source} is config version {data.get('version')}; this code reads {CONFIG_VERSION}"
        )
    config = TrainingConfig(**data)
    validate(config)
    return config


def validate(config: TrainingConfig) -> None:
    """Raise ConfigError when a value cannot work."""
    for name, allowed in _CHOICES.items():
        value = getattr(config, name)
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {sorted(allowed)}, not {value!r}")
    positive = ("batch_size", "grad_accum", "max_length", "lora_r", "lora_alpha")
    for name in positive:
        if int(getattr(config, name)) < 1:
            raise ConfigError(f"{name} must be at least 1, not {getattr(config, name)}")
    if config.learning_rate <= 0 or config.epochs <= 0:
        raise ConfigError("learning_rate and epochs must be positive")
    if not 0 <= config.warmup_ratio < 1 or not 0 <= config.lora_dropout < 1:
        raise ConfigError("warmup_ratio and lora_dropout must be in [0, 1)")
    if config.padding_free and not config.packing:
        raise ConfigError("padding_free needs packing here (TRL enforces max_length only then)")
