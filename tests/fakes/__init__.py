"""Fakes of outside systems that speak the real protocols (a real client talks to them)."""
