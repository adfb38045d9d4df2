"""helpbot's pipelines layer."""
