"""ERP go-live: the connection check, per-ERP setup cards and the go-live status per tax ID."""
