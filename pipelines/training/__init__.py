"""LoRA fine-tuning of the answer model: config, the TRL SFTTrainer run, per-step metrics."""

from pipelines.training.config import TrainingConfig, load_config
from pipelines.training.data import TrainingCancelled, TrainingError
from pipelines.training.train import TrainResult, train_adapter

__all__ = [
    "TrainResult",
    "TrainingCancelled",
    "TrainingConfig",
    "TrainingError",
    "load_config",
    "train_adapter",
]
