"""`python -m bench scaleout`: the scale-out proof of tests/scaleout at a larger size.

Needs PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL). BENCH_SCALEOUT_TENANTS (default 20)
tenants, two admins each adding BENCH_SCALEOUT_ENTERPRISES (default 10) enterprises and
allocating them on one line of quantity 8; then the same under each fault. Reports the
invariants, deliveries, and request p50/p99 as ratios to /healthz measured in the same run.
"""
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import requests

# The harness lives with the tests that prove the layout at CI size (tests import nothing here).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fixtures.cluster import Cluster  # noqa: E402

TENANTS = int(os.environ.get("BENCH_SCALEOUT_TENANTS", "20"))
ENTERPRISES = int(os.environ.get("BENCH_SCALEOUT_ENTERPRISES", "10"))


def _healthz_p50(c: Cluster, n: int = 200) -> float:
    http = requests.Session()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        http.get(c.base + "/healthz", timeout=10)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _smtp_faults(c: Cluster) -> None:
    c.sink.down()
    time.sleep(3)
    c.sink.hang()
    time.sleep(5)
    c.sink.up()


def _outbox_kills(c: Cluster) -> None:
    deadline = time.monotonic() + 60
    for _ in range(4):
        while not c.sink.messages and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
        c.kill_outbox_worker(0)


def _web_kills(c: Cluster) -> None:
    for n in range(6):
        time.sleep(1.5)
        workers = c.web_workers()
        if workers:
            os.kill(workers[n % len(workers)], signal.SIGKILL)


SCENARIOS = [("load", None), ("SMTP down, hanging, back", _smtp_faults),
             ("outbox worker SIGKILLed x4", _outbox_kills),
             ("web worker SIGKILLed x6", _web_kills)]


def run() -> list[str]:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        return ["skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server)"]
    lines = [f"{TENANTS} tenants x 2 admins x {ENTERPRISES} enterprises, gunicorn 2 workers, "
             f"2 outbox workers, on {os.uname().nodename} ({os.cpu_count()} CPUs)"]
    for name, fault in SCENARIOS:
        c = Cluster(url).start()
        try:
            c.seed(TENANTS, 8)
            c.run_processes()
            started = time.perf_counter()
            outcome = c.load(ENTERPRISES, during=fault)
            elapsed = time.perf_counter() - started
            delivered_all = c.wait_delivered(180)
            ids, delivered = c.deliveries()
            twice = sum(n - 1 for n in delivered.values())
            base = _healthz_p50(c)
            p50 = statistics.median(outcome.seconds)
            p99 = statistics.quantiles(outcome.seconds, n=100)[98]
            fivexx = sum(n for code, n in outcome.statuses.items() if code >= 500)
            problems = c.check() + outcome.failures
            lines.append(
                f"{name}: {sum(outcome.statuses.values())} requests in {elapsed:.1f} s, "
                f"5xx {fivexx}, connection errors {outcome.connection_errors}; "
                f"emails {len(ids)}, lost {len(ids - set(delivered))}, "
                f"{'all delivered' if delivered_all else 'NOT all delivered'}, "
                f"resent (same Message-ID) {twice}; p50 {p50 / base:.1f}x /healthz, "
                f"p99 {p99 / base:.1f}x; invariants {'hold' if not problems else problems}")
        finally:
            c.stop()
    return lines
