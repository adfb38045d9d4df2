"""Slack bot tests: pure builders and rules, and protocol-level scenarios over real HTTP."""
