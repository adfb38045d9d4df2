"""Curation rules (pure): PII scrubbing, training filters (ACL, stale, opt-out), near-duplicates."""
