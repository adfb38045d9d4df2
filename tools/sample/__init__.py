"""Tools that build and check the sample handbook in knowledge/sample (dev only)."""
