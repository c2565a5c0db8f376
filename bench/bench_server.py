"""Benchmarks as a user meets them: gunicorn in the production configuration, driven over
loopback by `wrk`, on SQLite and PostgreSQL (`python -m bench server`, `make bench-server`).

Data: the cached 工商 registry (BENCH_REGISTRY_ROWS companies, default 1,000,000) plus a tenant
with 10,000 enterprises (bench/server_data.py). Each round runs GET /healthz, then every endpoint
(in a rotated order), then /healthz again; an endpoint's ratio is its requests/s over the mean of
that round's two /healthz runs, and the table shows the median over the rounds (p50/p99 too:
medians of each round's wrk percentiles). Statements per request are counted in-process
(webapp.database.count_statements) for the same requests.

Settings: BENCH_SERVER_ROUNDS (3), BENCH_SERVER_SECONDS (per wrk run, 5), BENCH_SERVER_WORKERS
(gunicorn workers, 2), BENCH_SERVER_CONNECTIONS (wrk connections, as many as workers),
BENCH_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server; a database is created from the
cached registry database and dropped afterwards). Writes bench/results/server-<date>-<HHMM>.md.
"""
import os
import platform
import statistics
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bench import server_data, server_wrk
from bench.server_http import Server

ROUNDS = int(os.environ.get("BENCH_SERVER_ROUNDS") or 3)
SECONDS = float(os.environ.get("BENCH_SERVER_SECONDS") or 5)
WORKERS = int(os.environ.get("BENCH_SERVER_WORKERS") or 2)
CONNECTIONS = int(os.environ.get("BENCH_SERVER_CONNECTIONS") or WORKERS)
RESULTS = Path(__file__).resolve().parent / "results"
HX = {"HX-Request": "true"}

# key, what the user does, goal (× /healthz), htmx request?
ENDPOINTS = [
    ("toggle", "toggle: 勾选 one box (htmx POST)", 0.30, True),
    ("enterprises", "企业管理 list, page 1 (50 rows)", 0.20, False),
    ("panel", "去分配 panel, page 1 (50 rows)", 0.20, False),
    ("entitlements", "权益查询, page 1 (50 rows)", 0.20, False),
    ("panel_search", "去分配 panel name search (htmx)", 0.15, True),
    ("autofill", "新增企业 autofill (htmx)", 0.30, True),
]


def plans(data: server_data.Dataset) -> dict[str, list[tuple[str, str, str]]]:
    """The requests each endpoint's wrk run cycles through."""
    from urllib.parse import quote

    ids = data.enterprise_ids[:2000]
    # Tick 2,000 boxes, then untick them: every request changes the draft, none hits the quota.
    toggle = ([("POST", data.toggle, f"enterprise_id={i}&selected={i}") for i in ids]
              + [("POST", data.toggle, f"enterprise_id={i}") for i in ids])
    return {
        "healthz": [("GET", "/healthz", "")],
        "toggle": toggle,
        "enterprises": [("GET", "/enterprises/", "")],
        "panel": [("GET", data.panel, "")],
        "entitlements": [("GET", "/entitlements/", "")],
        "panel_search": [("GET", f"{data.panel}?q={quote(q)}", "") for q in data.panel_queries],
        "autofill": [("GET", f"/enterprises/autofill?q={quote(q)}", "")
                     for q in data.autofill_queries],
    }


def count_statements(data: server_data.Dataset, plan: dict) -> dict[str, int]:
    """SQL statements of one request of each endpoint, counted in-process (median over a few)."""
    from bench.common import login, make_app
    from webapp.database import count_statements as counting

    app = make_app(data.url, RATELIMIT_ENABLED=False)
    client = app.test_client()
    login(client, data.email, data.password)
    counts = {}
    for key, requests in plan.items():
        headers = HX if key in {k for k, *_, hx in ENDPOINTS if hx} else {}
        seen = []
        for method, target, body in requests[:5]:
            if key == "toggle":  # a box nobody ticks during the wrk runs
                last = data.enterprise_ids[-1]
                body = f"enterprise_id={last}" + ("" if seen else f"&selected={last}")
            with counting(app) as statements:
                response = client.open(target, method=method, data=body or None, headers=headers,
                                       content_type="application/x-www-form-urlencoded")
                assert response.status_code == 200, (target, response.status_code)
            # SQLite's explicit BEGIN IMMEDIATE is left out: PostgreSQL's BEGIN is implicit.
            seen.append(sum(not s.lstrip().upper().startswith("BEGIN") for s in statements))
        counts[key] = int(statistics.median(seen))
    from webapp.extensions import db
    with app.app_context():
        db.engine.dispose()
    return counts


def measure(data: server_data.Dataset, executable: str) -> dict:
    """Start gunicorn on `data`, run the rounds, stop it; returns the figures of each endpoint."""
    plan = plans(data)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-server-plans-") as tmp, \
            Server(data.url, WORKERS) as server:
        workdir = Path(tmp)
        headers = server.sign_in(data.email, data.password)
        files = {}
        for key, requests in plan.items():
            hx = key in {k for k, *_, is_hx in ENDPOINTS if is_hx}
            these = {**headers, **(HX if hx else {})}
            server.check(requests[0], these)  # 200, signed in: wrk counts a 303 as a success
            files[key] = server_wrk.write_plan(workdir / f"{key}.plan", these, requests)
        done = dict.fromkeys(files, 0)  # requests sent so far: the next run continues there

        def wrk(key: str, seconds: float) -> server_wrk.Figures:
            figures = server_wrk.run(executable, server.base_url, files[key], seconds,
                                     CONNECTIONS, start=done[key])
            done[key] += figures.requests
            return figures

        for key in files:  # warm-up: templates compiled, connections pooled in every worker
            wrk(key, 1)
        rounds = []
        keys = [key for key, *_ in ENDPOINTS]
        for number in range(ROUNDS):
            order = keys[number % len(keys):] + keys[:number % len(keys)]
            figures = {"healthz": [wrk("healthz", SECONDS)]}
            for key in order:
                figures[key] = wrk(key, SECONDS)
            figures["healthz"].append(wrk("healthz", SECONDS))
            rounds.append(figures)
        version = server.database_version()
    load_after = os.getloadavg()
    statements = count_statements(data, plan)
    return {"rounds": rounds, "statements": statements, "load": (load_before, load_after),
            "version": version}


def summarise(result: dict) -> dict[str, dict]:
    """Medians over the rounds: rate, ratio, p50, p99; errors summed."""
    rows = {}
    for key in ["healthz", *(k for k, *_ in ENDPOINTS)]:
        rates, ratios, p50, p99, errors = [], [], [], [], 0
        for figures in result["rounds"]:
            bare = statistics.mean(f.rate for f in figures["healthz"])
            these = figures[key] if key == "healthz" else [figures[key]]
            for f in these:
                rates.append(f.rate)
                ratios.append(f.rate / bare)
                p50.append(f.p50_ms)
                p99.append(f.p99_ms)
                errors += f.status_errors + f.socket_errors
        rows[key] = {"rate": statistics.median(rates), "ratio": statistics.median(ratios),
                     "spread": (min(ratios), max(ratios)), "p50": statistics.median(p50),
                     "p99": statistics.median(p99), "errors": errors,
                     "statements": result["statements"].get(key, 0)}
    return rows


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def versions() -> str:
    import sqlite3

    import gunicorn

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0]
    return (f"Python {platform.python_version()}, gunicorn {gunicorn.__version__} "
            f"({WORKERS} sync workers), {wrk.strip()} (1 thread, {CONNECTIONS} connections, "
            f"{SECONDS:g} s a run), SQLite {sqlite3.sqlite_version}")


def table(label: str, data: server_data.Dataset, result: dict) -> list[str]:
    rows = summarise(result)
    before, after = result["load"]
    lines = [
        f"### {label}: {server_data.ENTERPRISES:,} enterprises, "
        f"{server_data.bench_registry.ROWS:,} registry companies ({data.registry})",
        "",
        f"{result['version']}; load average {before[0]:.2f} {before[1]:.2f} {before[2]:.2f} "
        f"before, {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} after; median of {ROUNDS} "
        f"rounds (ratio range in brackets).",
        "",
        "| endpoint | req/s | × /healthz | goal | p50 ms | p99 ms | SQL statements (no BEGIN) |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    healthz = rows["healthz"]
    lines.append(f"| GET /healthz (bare) | {healthz['rate']:.0f} | 1.00 | | {healthz['p50']:.1f} "
                 f"| {healthz['p99']:.1f} | {healthz['statements']} |")
    for key, what, goal, _hx in ENDPOINTS:
        row = rows[key]
        verdict = "ok" if row["ratio"] >= goal else "**below**"
        low, high = row["spread"]
        errors = f" ({row['errors']} errors)" if row["errors"] else ""
        lines.append(f"| {what}{errors} | {row['rate']:.0f} | {row['ratio']:.3f} "
                     f"[{low:.3f}–{high:.3f}] | ≥ {goal:.2f} {verdict} | {row['p50']:.1f} "
                     f"| {row['p99']:.1f} | {row['statements']} |")
    return lines + [""]


def databases() -> list:
    """SQLite always; PostgreSQL when a server is named."""
    found = [server_data.sqlite_copy]
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if server:
        found.append(lambda: server_data.postgres_copy(server))
    return found


def run() -> list[str]:
    executable = server_wrk.find()
    if executable is None:
        return [server_wrk.INSTALL_HINT]
    started = datetime.now(timezone.utc)
    lines = [f"## Server benchmark, {started:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {machine()}.", f"{versions()}.", ""]
    for make in databases():
        data = make()
        try:
            server_data.seed(data)
            lines += table(data.label, data, measure(data, executable))
        finally:
            data.cleanup()
    if len(databases()) == 1:
        lines += ["PostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL to a server)",
                  ""]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"server-{started:%Y-%m-%d-%H%M}.md"  # one file a run: none overwritten
    out.write_text("\n".join(lines) + "\n")
    return lines + [f"(written to {out.relative_to(RESULTS.parent.parent)})"]


if __name__ == "__main__":
    print("\n".join(run()))
