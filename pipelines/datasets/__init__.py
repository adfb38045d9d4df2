"""Dataset versions: approved curation items become immutable train/validation/test JSONL."""

from pipelines.datasets.build import build_dataset
from pipelines.datasets.models import DatasetError, DatasetOptions, DatasetVersionInfo

__all__ = ["DatasetError", "DatasetOptions", "DatasetVersionInfo", "build_dataset"]
