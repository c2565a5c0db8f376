"""Shared rules without a page: audit, outbox, crypto, rate limits, tax IDs, the 工商 fields,
CSV, errors."""
