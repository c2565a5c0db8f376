"""Benchmarks as a user meets them: gunicorn in the production configuration, driven over
loopback by `wrk`, on SQLite and PostgreSQL (`python -m bench server`, `make bench-server`) —
this app and, beside it on the same data, the reference app of bench/reference_app.py (the
yardstick: a minimal Flask app doing the same honest work for the toggle, 企业管理, the 去分配
panel and 权益查询).

Data: the cached 工商 registry (BENCH_REGISTRY_ROWS companies, default 1,000,000) plus a tenant
with 10,000 enterprises (bench/server_data.py). Both apps run at once, each under gunicorn, and
sign in through their own login form with the User-Agent wrk sends. Before measuring, the run
checks that both show the same 50 tax IDs on page 1 of each page, and that a draft ticked by one
is seen by the other. Each round measures one app then the other (the order alternates): GET
/healthz, every endpoint (in a rotated order), /healthz again. Every toggle run starts with the
line's drafts cleared, so each tick changes something. Per run: requests/s, the ratio to the
mean of that app's two /healthz runs of the round, wrk's p50/p99, and the CPU milliseconds per
request of the app's workers (utime + stime from /proc before and after the run, over the
requests completed: steadier than requests/s on a shared machine). Tables show medians over
the rounds with ranges; "this / reference" is the median of each round's CPU ratio. SQL
statements per request are counted in-process for the same requests.

Settings: BENCH_SERVER_ROUNDS (3), BENCH_SERVER_SECONDS (per wrk run, 5), BENCH_SERVER_WORKERS
(gunicorn workers, 2), BENCH_SERVER_WORKER_CLASS (sync) and BENCH_SERVER_THREADS (1),
BENCH_SERVER_CONNECTIONS (wrk connections, as many as workers), BENCH_DATABASE_URL or
TEST_DATABASE_URL (a PostgreSQL server; a database is created from the cached registry database
and dropped afterwards). Writes bench/results/server-<date>-<HHMM>.md.
"""
import os
import platform
import re
import statistics
import subprocess
import tempfile
from contextlib import ExitStack, redirect_stderr
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, text

from bench import server_data, server_wrk
from bench.server_http import Server

ROUNDS = int(os.environ.get("BENCH_SERVER_ROUNDS") or 3)
SECONDS = float(os.environ.get("BENCH_SERVER_SECONDS") or 5)
WORKERS = int(os.environ.get("BENCH_SERVER_WORKERS") or 2)
WORKER_CLASS = os.environ.get("BENCH_SERVER_WORKER_CLASS") or "sync"
THREADS = int(os.environ.get("BENCH_SERVER_THREADS") or 1)
CONNECTIONS = int(os.environ.get("BENCH_SERVER_CONNECTIONS") or WORKERS)
RESULTS = Path(__file__).resolve().parent / "results"
HX = {"HX-Request": "true"}

# key, what the user does, goal (× /healthz), htmx request?
ENDPOINTS = [
    ("toggle", "toggle: 勾选 one box (htmx POST)", 0.25, True),
    ("enterprises", "企业管理 list, page 1 (50 rows)", 0.20, False),
    ("panel", "去分配 panel, page 1 (50 rows)", 0.20, False),
    ("entitlements", "权益查询, page 1 (50 rows)", 0.20, False),
    ("panel_search", "去分配 panel name search (htmx)", 0.15, True),
    ("autofill", "新增企业 autofill (htmx)", 0.30, True),
]
HTMX_KEYS = {key for key, *_, hx in ENDPOINTS if hx}
WHAT = {key: what for key, what, *_ in ENDPOINTS}
# What the reference app serves, and the goal against it: CPU per request at most 1.25× its own.
COMPARED = ["toggle", "enterprises", "panel", "entitlements"]
CPU_GOAL = 1.25
PAGES = ["enterprises", "panel", "entitlements"]
TAX_ID = re.compile(r">([0-9A-Z]{15,20})<")
SELECTED = re.compile(r'id="alloc-selected">([0-9]+)<')


@dataclass(frozen=True)
class App:
    name: str
    wsgi: str  # what gunicorn loads
    home: str  # where the sign-in lands (its page carries the X-CSRFToken)
    keys: tuple[str, ...]


THIS = App("this app", "webapp:create_app()", "/home", tuple(key for key, *_ in ENDPOINTS))
REFERENCE = App("reference", "bench.reference_app:create_app()", "/enterprises/", tuple(COMPARED))
APPS = (THIS, REFERENCE)


@dataclass
class Run:
    """One wrk run: its figures and the CPU seconds the app's workers used meanwhile (None when
    a worker was replaced during the run)."""

    figures: server_wrk.Figures
    cpu_seconds: float | None

    @property
    def cpu_ms(self) -> float | None:
        if self.cpu_seconds is None or not self.figures.requests:
            return None
        return 1000 * self.cpu_seconds / self.figures.requests


def plans(data: server_data.Dataset) -> dict[str, list[tuple[str, str, str]]]:
    """The requests each endpoint's wrk run cycles through."""
    from urllib.parse import quote

    ids = data.enterprise_ids[:2000]
    # Tick 2,000 boxes, then untick them: every request changes the draft (each run starts with
    # the drafts cleared), none hits the quota.
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


def clear_drafts(engine, data: server_data.Dataset) -> None:
    """No box of the measured line ticked: the state every toggle run starts from."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM allocation_draft WHERE line_id = :line"),
                     {"line": data.line_id})


def _counted(engine, client, plan: dict, keys, data, headers: dict) -> dict[str, int]:
    """SQL statements of one request of each endpoint (median over a few), BEGIN left out:
    SQLite's explicit BEGIN IMMEDIATE has no counterpart on PostgreSQL, where BEGIN is implicit."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    counts = {}
    for key in ("healthz", *keys):
        sent = {**headers, **(HX if key in HTMX_KEYS else {})}
        numbers = []
        for i, (method, target, body) in enumerate(plan[key][:5]):
            if key == "toggle":  # a box nobody ticks during the wrk runs: tick, untick, …
                last = data.enterprise_ids[-1]
                body = f"enterprise_id={last}" + ("" if i % 2 else f"&selected={last}")
            seen.clear()
            response = client.open(target, method=method, data=body or None, headers=sent,
                                   content_type="application/x-www-form-urlencoded")
            assert response.status_code == 200, (target, response.status_code)
            numbers.append(sum(not s.lstrip().upper().startswith("BEGIN") for s in seen))
        counts[key] = int(statistics.median(numbers))
    return counts


def count_statements(data: server_data.Dataset, plan: dict) -> dict[str, dict[str, int]]:
    """Statements per request of each app, counted in-process on the same data; this app with
    its request log on, as in production (reading the user for the log line is a statement)."""
    from bench import reference_app
    from bench.common import login, make_app
    from webapp.extensions import db

    this = make_app(data.url, RATELIMIT_ENABLED=False, LOG_JSON=True)
    client = this.test_client()
    with open(os.devnull, "w") as devnull, redirect_stderr(devnull):
        login(client, data.email, data.password)
        with this.app_context():
            engine = db.engine
        counts = {THIS.name: _counted(engine, client, plan, THIS.keys, data, {})}
    engine.dispose()
    reference = reference_app.create_app(data.url, "statements-" + "x" * 40)
    reference_app.log.disabled = True  # its request log line is a cost, not a statement
    client = reference.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": data.email, "password": data.password,
                                       "csrf_token": token}).status_code == 303
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"',
                     client.get("/enterprises/").get_data(as_text=True)).group(1)
    engine = reference.extensions["reference_engine"]
    counts[REFERENCE.name] = _counted(engine, client, plan, REFERENCE.keys, data,
                                      {"X-CSRFToken": csrf})
    engine.dispose()
    reference_app.log.disabled = False
    return counts


def same_work(data, plan, servers: dict, headers: dict, engine) -> dict[str, tuple[int, int]]:
    """The honesty check: both apps show the same 50 tax IDs on page 1 of each page, and a
    draft ticked through one is seen (and unticked) through the other. Returns the bytes of
    each answer (this app, reference)."""
    sizes = {}
    for key in PAGES:
        bodies = [servers[app.name].check(plan[key][0], headers[app.name])[1] for app in APPS]
        ids = [TAX_ID.findall(body) for body in bodies]
        assert len(ids[0]) == 50 and ids[0] == ids[1], (
            f"{key}: the apps show different rows on page 1: {ids[0][:3]}… / {ids[1][:3]}…")
        sizes[key] = tuple(len(body.encode()) for body in bodies)
    clear_drafts(engine, data)
    eid = data.enterprise_ids[0]
    steps = [(REFERENCE, True, "1"), (THIS, False, "0"), (THIS, True, "1"), (REFERENCE, False, "0")]
    toggle_sizes = {}
    for app, tick, expected in steps:
        body = f"enterprise_id={eid}" + (f"&selected={eid}" if tick else "")
        sent = {**headers[app.name], **HX}
        answer = servers[app.name].check(("POST", data.toggle, body), sent)[1]
        counted = SELECTED.search(answer)
        assert counted and counted.group(1) == expected and f'id="ent-{eid}"' in answer, (
            f"toggle through {app.name}: 已选 {counted and counted.group(1)}, not {expected}")
        toggle_sizes.setdefault(app.name, len(answer.encode()))
    clear_drafts(engine, data)
    sizes["toggle"] = (toggle_sizes[THIS.name], toggle_sizes[REFERENCE.name])
    return sizes


def measure(data: server_data.Dataset, executable: str) -> dict:
    """Start both apps on `data`, check they do the same work, run the rounds, stop them;
    returns the runs of each app and endpoint."""
    plan = plans(data)
    engine = create_engine(data.url, connect_args={"timeout": 15}
                           if data.url.startswith("sqlite") else {})
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-server-plans-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        servers = {app.name: stack.enter_context(Server(
            data.url, WORKERS, app.wsgi, WORKER_CLASS, THREADS,
            log=workdir / f"{app.name.replace(' ', '-')}.log")) for app in APPS}
        headers, files, resigned = {}, {}, []
        for app in APPS:
            server = servers[app.name]
            headers[app.name] = server.sign_in(data.email, data.password, app.home)
            for key in ("healthz", *app.keys):
                these = {**headers[app.name], **(HX if key in HTMX_KEYS else {})}
                answered, _ = server.check(plan[key][0], these)  # 200: wrk counts a 303 too
                if any(name.lower() == "set-cookie" for name in answered):
                    resigned.append(f"{app.name} {key}")
                files[app.name, key] = server_wrk.write_plan(
                    workdir / f"{app.name.replace(' ', '-')}-{key}.plan", these, plan[key])
        sizes = same_work(data, plan, servers, headers, engine)
        done = dict.fromkeys(files, 0)  # requests sent so far: the next run continues there

        def run(app: App, key: str, seconds: float) -> Run:
            server = servers[app.name]
            if key == "toggle":
                clear_drafts(engine, data)
                done[app.name, key] = 0
            pids, before = server.cpu_seconds()
            figures = server_wrk.run(executable, server.base_url, files[app.name, key], seconds,
                                     CONNECTIONS, start=done[app.name, key])
            pids_after, after = server.cpu_seconds()
            done[app.name, key] += figures.requests
            return Run(figures, after - before if pids == pids_after else None)

        for app in APPS:  # warm-up: templates compiled, connections pooled in every worker
            for key in ("healthz", *app.keys):
                run(app, key, 1)
        rounds = []
        for number in range(ROUNDS):
            figures = {}
            for app in (APPS if number % 2 == 0 else APPS[::-1]):
                shift = number % len(app.keys)
                these = {"healthz": [run(app, "healthz", SECONDS)]}
                for key in app.keys[shift:] + app.keys[:shift]:
                    these[key] = run(app, key, SECONDS)
                these["healthz"].append(run(app, "healthz", SECONDS))
                figures[app.name] = these
            rounds.append(figures)
        clear_drafts(engine, data)
        version = servers[THIS.name].database_version()
    engine.dispose()
    load_after = os.getloadavg()
    statements = count_statements(data, plan)
    return {"rounds": rounds, "statements": statements, "load": (load_before, load_after),
            "version": version, "sizes": sizes, "resigned": resigned}


def summarise(result: dict, app: App) -> dict[str, dict]:
    """Medians over the rounds for one app: rate, ratio, CPU ms, p50, p99; errors summed."""
    rows = {}
    for key in ("healthz", *app.keys):
        rates, ratios, cpu, p50, p99, errors = [], [], [], [], [], 0
        for figures in result["rounds"]:
            these = figures[app.name]
            bare = statistics.mean(r.figures.rate for r in these["healthz"])
            for r in these[key] if key == "healthz" else [these[key]]:
                rates.append(r.figures.rate)
                ratios.append(r.figures.rate / bare)
                p50.append(r.figures.p50_ms)
                p99.append(r.figures.p99_ms)
                errors += r.figures.status_errors + r.figures.socket_errors
                if r.cpu_ms is not None:
                    cpu.append(r.cpu_ms)
        rows[key] = {"rate": statistics.median(rates), "ratio": statistics.median(ratios),
                     "spread": (min(ratios), max(ratios)), "p50": statistics.median(p50),
                     "p99": statistics.median(p99), "errors": errors,
                     "cpu": statistics.median(cpu) if cpu else None,
                     "cpu_spread": (min(cpu), max(cpu)) if cpu else None,
                     "statements": result["statements"][app.name].get(key, 0)}
    return rows


def cpu_ratios(result: dict, key: str) -> list[float]:
    """This app's CPU per request over the reference's, round by round."""
    ratios = []
    for figures in result["rounds"]:
        this, reference = figures[THIS.name][key].cpu_ms, figures[REFERENCE.name][key].cpu_ms
        if this is not None and reference:
            ratios.append(this / reference)
    return ratios


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

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("[")[0]
    threads = f", {THREADS} threads each" if THREADS > 1 else ""
    return (f"Python {platform.python_version()}, gunicorn {gunicorn.__version__} "
            f"({WORKERS} {WORKER_CLASS} workers{threads}, for each app), {wrk.strip()} "
            f"(1 thread, {CONNECTIONS} connections, {SECONDS:g} s a run), "
            f"SQLite {sqlite3.sqlite_version}")


def _ms(value: float | None, spread: tuple | None = None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} [{spread[0]:.2f}–{spread[1]:.2f}]" if spread else f"{value:.2f}"


def table(label: str, data: server_data.Dataset, result: dict) -> list[str]:
    this, reference = summarise(result, THIS), summarise(result, REFERENCE)
    before, after = result["load"]
    lines = [
        (f"### {label}: {server_data.ENTERPRISES:,} enterprises, "
         f"{server_data.bench_registry.ROWS:,} registry companies ({data.registry})"),
        "",
        (f"{result['version']}; load average {before[0]:.2f} {before[1]:.2f} {before[2]:.2f} "
         f"before, {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} after; median of {ROUNDS} "
         f"rounds (range in brackets)."),
        "",
        "#### This app",
        "",
        ("| endpoint | req/s | × /healthz | goal | CPU ms a request | p50 ms | p99 ms "
         "| SQL statements (no BEGIN) |"),
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    row = this["healthz"]
    lines.append(f"| GET /healthz (bare) | {row['rate']:.0f} | 1.00 | | "
                 f"{_ms(row['cpu'], row['cpu_spread'])} | {row['p50']:.1f} | {row['p99']:.1f} "
                 f"| {row['statements']} |")
    for key, what, goal, _hx in ENDPOINTS:
        row = this[key]
        verdict = "ok" if row["ratio"] >= goal else "**below**"
        low, high = row["spread"]
        errors = f" ({row['errors']} errors)" if row["errors"] else ""
        lines.append(f"| {what}{errors} | {row['rate']:.0f} | {row['ratio']:.3f} "
                     f"[{low:.3f}–{high:.3f}] | ≥ {goal:.2f} {verdict} | "
                     f"{_ms(row['cpu'], row['cpu_spread'])} | {row['p50']:.1f} "
                     f"| {row['p99']:.1f} | {row['statements']} |")
    lines += [
        "",
        "#### This app against the reference app (bench/reference_app.py)",
        "",
        ("| request | CPU ms: this app | CPU ms: reference | this / reference | goal "
         "| × /healthz: this / reference | req/s: this / reference | SQL: this / reference "
         "| bytes: this / reference |"),
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for key in ("healthz", *COMPARED):
        mine, theirs = this[key], reference[key]
        if key == "healthz":
            what, verdict, ratio = "GET /healthz (bare)", "", "—"
        else:
            ratios = cpu_ratios(result, key)
            middle = statistics.median(ratios) if ratios else None
            verdict = ("—" if middle is None else
                       f"≤ {CPU_GOAL:.2f} " + ("ok" if middle <= CPU_GOAL else "**above**"))
            ratio = _ms(middle, (min(ratios), max(ratios)) if ratios else None)
            what = WHAT[key]
        size = result["sizes"].get(key)
        lines.append(
            f"| {what} | {_ms(mine['cpu'], mine['cpu_spread'])} "
            f"| {_ms(theirs['cpu'], theirs['cpu_spread'])} | {ratio} | {verdict} "
            f"| {mine['ratio']:.3f} / {theirs['ratio']:.3f} | {mine['rate']:.0f} / "
            f"{theirs['rate']:.0f} | {mine['statements']} / {theirs['statements']} "
            f"| {f'{size[0]:,} / {size[1]:,}' if size else '—'} |")
    errors = sum(row["errors"] for row in reference.values())
    lines += ["", "Same work: both apps showed the same 50 tax IDs on page 1 of 企业管理, the panel "
              "and 权益查询, and a draft ticked through one app was seen and unticked through "
              "the other." + (f" Reference errors: {errors}." if errors else "")]
    if result["resigned"]:
        lines.append("**The session cookie was re-signed** (a Set-Cookie) on: "
                     + ", ".join(result["resigned"]) + ".")
    else:
        lines.append("No measured request re-signed the session cookie (no Set-Cookie).")
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
