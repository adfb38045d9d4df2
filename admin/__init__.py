"""helpbot's admin layer."""
