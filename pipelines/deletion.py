"""Re-export of knowledge.deletion (deleting a document a watched source still holds)."""

from knowledge.deletion import AtSource, Deleted, NeedsChoiceError, delete_document, exclude_path

__all__ = ["AtSource", "Deleted", "NeedsChoiceError", "delete_document", "exclude_path"]
