"""Benchmarks: each bench_*.py module exposes run() -> list[str]; timings are reported as
ratios against the bare endpoint (GET /healthz) measured in the same run."""
