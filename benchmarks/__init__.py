"""Reproducible speed and quality measurements; results and commands in BENCHMARKS.md."""
