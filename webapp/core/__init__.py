"""Shared rules without a page: audit, outbox, crypto, rate limits, tax IDs, CSV, errors."""
