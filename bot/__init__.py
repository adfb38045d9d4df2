"""helpbot's bot layer."""
