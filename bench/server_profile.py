"""Where a request's time goes: the bench_server endpoints profiled in-process with pyinstrument
(`python -m bench.server_profile [endpoint ...]`, a dev dependency), on the same data and in the
production configuration. BENCH_PROFILE_DATABASE=postgres profiles on BENCH_DATABASE_URL or
TEST_DATABASE_URL instead of SQLite; BENCH_PROFILE_REQUESTS (300) requests per endpoint.

Prints, per endpoint, the in-process milliseconds per request (unprofiled, median of 3 rounds)
and two splits of the profiled time: by phase (the outermost of: user loading, template
rendering, CSRF, session, the view's own code) and by resource (the innermost of: database
driver, SQLAlchemy, Jinja, Werkzeug/Flask, the app's Python). Writes an HTML profile of each
endpoint to bench/results/profile-<endpoint>-<database>.html (and .txt).
"""
import contextlib
import os
import re
import statistics
import sys
import time
from collections import defaultdict

from cryptography.fernet import Fernet

from bench import bench_server, server_data

REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS") or 300)

# (name, test on a frame's file path and function). A frame's phase is that of its nearest
# matching ancestor, except that an earlier phase of this list overrides a later one (template
# rendering inside the view is template rendering; a query inside it stays template rendering).
PHASES = [
    ("user loading (flask_login → user query)", lambda p, f: "flask_login" in p and f in (
        "_load_user", "_get_user", "_load_user_from_request")),
    ("template rendering (render_template)", lambda p, f: f in ("render_template", "_render")
        and "flask" in p),
    ("CSRF check", lambda p, f: "flask_wtf" in p and f in ("protect", "csrf_protect")),
    ("session cookie (load/save)", lambda p, f: "flask/sessions" in p or "itsdangerous" in p),
    ("view and services", lambda p, f: "/webapp/" in p and f not in ("create_app",)),
]
# The innermost match names the resource (the first test that matches a frame wins). The
# drivers' C code has no frames of its own: SQLAlchemy's do_execute* and fetch calls stand in.
DRIVER_CALLS = {"do_execute", "do_execute_no_params", "do_executemany", "_fetchall_impl",
                "_fetchone_impl", "_fetchmany_impl", "connect", "do_ping", "do_commit",
                "do_rollback", "do_begin"}
RESOURCES = [
    ("database (driver calls: execute, fetch, commit)", lambda p, f: "/psycopg" in p
        or "sqlite3" in p or ("/sqlalchemy/" in p and f in DRIVER_CALLS)),
    ("SQLAlchemy (compile, ORM, results)", lambda p, f: "/sqlalchemy/" in p),
    ("Jinja (templates, markupsafe)", lambda p, f: "/jinja2/" in p or "/markupsafe/" in p
        or p.endswith(".html")),
    ("app Python (webapp/)", lambda p, f: "/webapp/" in p),
    ("Werkzeug / Flask / extensions", lambda p, f: any(s in p for s in (
        "/werkzeug/", "/flask/", "flask_login", "flask_wtf", "flask_limiter", "itsdangerous",
        "flask_sqlalchemy", "/limits/"))),
]


def _walk(frame, phase, resource, by_phase, by_resource, spots, seen):
    path, function = frame.file_path or "", frame.function or ""
    for rank, (name, test) in enumerate(PHASES):
        if test(path, function):
            if phase is None or rank < phase[0]:
                phase = (rank, name)
            break
    for name, test in RESOURCES:
        if test(path, function):
            resource = name
            break
    own = frame.time - sum(c.time for c in frame.children if not c.is_synthetic)
    by_phase[phase[1] if phase else "Werkzeug / Flask dispatch, other"] += own
    by_resource[resource or "other (stdlib, gunicorn-less test client)"] += own
    key = f"{function} ({frame.file_path_short or path}:{frame.line_no})"
    if ("/webapp/" in path or path.endswith(".html")) and key not in seen:
        spots[key] += frame.time
        seen = seen | {key}
    for child in frame.children:
        _walk(child, phase, resource, by_phase, by_resource, spots, seen)


def _app(url: str):
    from bench.common import make_app

    return make_app(url, APP_ENV="production", SECRET_KEY="profile-" + "x" * 40,
                    DATA_ENCRYPTION_KEY=Fernet.generate_key().decode(), WTF_CSRF_ENABLED=True,
                    RATELIMIT_ENABLED=True, TESTING=False, LOG_JSON=True)


def _client(app, data):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": data.email, "password": data.password,
                                           "csrf_token": token})
    assert response.status_code == 303, response.status_code
    home = client.get("/home").get_data(as_text=True)
    return client, re.search(r'"X-CSRFToken": "([^"]+)"', home).group(1)


def _send(client, key, request, csrf):
    method, target, body = request
    headers = {"X-CSRFToken": csrf}
    if key in {k for k, *_, hx in bench_server.ENDPOINTS if hx}:
        headers["HX-Request"] = "true"
    response = client.open(target, method=method, data=body or None, headers=headers,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, (target, response.status_code)


def _ms_per_request(client, key, requests, csrf, count=100) -> float:
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        for i in range(count):
            _send(client, key, requests[i % len(requests)], csrf)
        rounds.append((time.perf_counter() - started) * 1000 / count)
    return statistics.median(rounds)


def profile(data, keys: list[str]) -> list[str]:
    from pyinstrument import Profiler

    app = _app(data.url)
    client, csrf = _client(app, data)
    plan = bench_server.plans(data)
    healthz = _ms_per_request(client, "healthz", plan["healthz"], csrf, 300)
    lines = [f"[{data.label}] in-process, production config; GET /healthz {healthz:.2f} ms"]
    for key in keys:
        requests = plan[key]
        for request in requests[:20]:
            _send(client, key, request, csrf)
        ms = _ms_per_request(client, key, requests, csrf)
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for i in range(REQUESTS):
            _send(client, key, requests[i % len(requests)], csrf)
        profiler.stop()
        by_phase, by_resource, spots = defaultdict(float), defaultdict(float), defaultdict(float)
        root = profiler.last_session.root_frame()
        _walk(root, None, None, by_phase, by_resource, spots, frozenset())
        total = sum(by_phase.values())
        lines.append(f"{key}: {ms:.2f} ms a request = {ms / healthz:.1f}× /healthz "
                     f"(ratio {healthz / ms:.3f} in-process)")
        lines.append("  by phase: " + ", ".join(
            f"{name} {100 * t / total:.0f}%" for name, t in
            sorted(by_phase.items(), key=lambda kv: -kv[1]) if t / total >= 0.01))
        lines.append("  by resource: " + ", ".join(
            f"{name} {100 * t / total:.0f}%" for name, t in
            sorted(by_resource.items(), key=lambda kv: -kv[1]) if t / total >= 0.01))
        top = sorted(spots.items(), key=lambda kv: -kv[1])[:8]
        lines.append("  app frames (inclusive): " + "; ".join(
            f"{name} {100 * t / total:.0f}%" for name, t in top))
        out = bench_server.RESULTS / f"profile-{key}-{data.label.lower()}.html"
        bench_server.RESULTS.mkdir(exist_ok=True)
        out.write_text(profiler.output_html())
        out.with_suffix(".txt").write_text(profiler.output_text(unicode=True))
    from webapp.extensions import db
    with app.app_context():
        db.engine.dispose()
    return lines


def main(argv: list[str]) -> int:
    keys = argv or [key for key, *_ in bench_server.ENDPOINTS]
    if os.environ.get("BENCH_PROFILE_DATABASE") == "postgres":
        server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        data = server_data.postgres_copy(server)
    else:
        data = server_data.sqlite_copy()
    try:
        server_data.seed(data)
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            lines = profile(data, keys)  # the request log's lines go nowhere, at their cost
        for line in lines:
            print(line, flush=True)
    finally:
        data.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
