"""Re-export of knowledge.pii (the PII scrubber), where it moved so the console can use it too."""

from knowledge.pii import PLACEHOLDERS, Scrubbed, luhn_valid, scrub

__all__ = ["PLACEHOLDERS", "Scrubbed", "luhn_valid", "scrub"]
