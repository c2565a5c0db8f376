"""Where a signed-in request's CPU goes, in-process, in this app and in the reference app
(`python -m bench.server_breakdown [endpoint ...]`, default: /healthz and the four compared
requests; `make bench-breakdown`), on the server benchmark's data.

Both apps run in one process through Flask's test client, in the production configuration
(CSRF on, the limiter on, the JSON request log written — to /dev/null), signed in through their
login forms with the benchmark's User-Agent. Each section below is timed with the thread's CPU
clock by wrapping the functions that do it; a section's own time excludes the sections nested
in it (templates rendered by a view count as templates), except that SQL is shown both inside
the section that ran it and on its own line:

- loading the user: flask-login's user loader (the session id parsed, the connection checked
  out, the user and its tenant read and checked) / the reference's `signed_in`;
- view: the view function and its decorators, without the user loading and the templates;
- executing SQL: the driver's execute, fetch, commit and rollback, wherever they run;
- templates: render_template;
- request log, session cookie (open and save), CSRF, rate limiter, other hooks (input check,
  security headers, teardown): Flask's before/after/teardown hooks, by their module;
- the rest: Flask and Werkzeug around them (request context, routing, the response).

BENCH_BREAKDOWN_ROUNDS (7) rounds of BENCH_BREAKDOWN_REQUESTS (200) requests per endpoint and
app; each line is the minimum over the rounds of its CPU ms a request (so the lines need not add
up exactly to the whole). The whole request is also measured without the wrappers, whose own
cost lands in the sections that call them. Every toggle round starts with the drafts cleared.
BENCH_PROFILE_DATABASE=postgres uses BENCH_DATABASE_URL or TEST_DATABASE_URL instead of SQLite.
Writes bench/results/breakdown-<database>-<date>-<HHMM>.md.
"""
import contextlib
import copy
import os
import re
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from functools import wraps

from cryptography.fernet import Fernet
from sqlalchemy import create_engine

from bench import bench_server, server_data
from bench.server_http import USER_AGENT

ROUNDS = int(os.environ.get("BENCH_BREAKDOWN_ROUNDS") or 7)
REQUESTS = int(os.environ.get("BENCH_BREAKDOWN_REQUESTS") or 200)
DEFAULT_KEYS = ["toggle", "enterprises", "panel", "entitlements", "healthz"]
# (label, section): the table's lines, in order; "sql in X" is the SQL run inside section X.
LINES = [
    ("whole request, without the wrappers", "bare"),
    ("whole request, with them", "whole"),
    ("loading the user (its SQL included)", "user+sql"),
    ("view: statements, ORM, Python (its SQL included)", "view+sql"),
    ("— of which executing SQL", "sql in view"),
    ("templates", "templates+sql"),
    ("request log", "request log+sql"),
    ("session cookie (open, save)", "session+sql"),
    ("CSRF", "csrf+sql"),
    ("rate limiter", "limiter+sql"),
    ("other hooks (inputs, headers, teardown: its SQL included)", "hooks+sql"),
    ("Flask / Werkzeug, the rest", "whole-own"),
    ("executing SQL, everywhere", "sql"),
    ("SQL statements (no BEGIN)", "statements"),
]
HOOKS = [  # (module prefix, function name or None for any): the section of a Flask hook
    ("webapp.web.requestlog", None, "request log"),
    ("bench.reference_app", "log_start", "request log"),
    ("bench.reference_app", "log_line", "request log"),
    ("flask_wtf", None, "csrf"),
    ("bench.reference_app", "check_csrf", "csrf"),
    ("webapp", "check_csrf", "csrf"),
    ("flask_limiter", None, "limiter"),
    ("flask_login", None, "session"),  # the remember-cookie hook
]
DRIVER = ("do_execute", "do_execute_no_params", "do_executemany", "do_commit", "do_rollback")


class Clock:
    """Nested sections timed with the thread's CPU clock: `own[name]` is a section's time minus
    its nested sections'; `sql_in[name]` the SQL run directly inside it."""

    def __init__(self):
        self.stack: list[list] = []
        self.own: dict[str, int] = defaultdict(int)
        self.sql_in: dict[str, int] = defaultdict(int)
        self.statements = 0

    def wrap(self, name: str, fn):
        @wraps(fn)
        def timed(*args, **kwargs):
            entry = [name, time.thread_time_ns(), 0]
            self.stack.append(entry)
            try:
                return fn(*args, **kwargs)
            finally:
                self.stack.pop()
                spent = time.thread_time_ns() - entry[1]
                self.own[name] += spent - entry[2]
                if self.stack:
                    self.stack[-1][2] += spent
                    if name == "sql":
                        self.sql_in[self.stack[-1][0]] += spent
        return timed

    def reset(self) -> None:
        self.own.clear()
        self.sql_in.clear()
        self.statements = 0


class Patches:
    """Attributes replaced for a while, put back by restore()."""

    def __init__(self):
        self.saved: list[tuple] = []

    def set(self, obj, name: str, value) -> None:
        self.saved.append((obj, name, vars(obj).get(name, _MISSING)))
        setattr(obj, name, value)

    def restore(self) -> None:
        for obj, name, value in reversed(self.saved):
            if value is _MISSING:
                delattr(obj, name)
            else:
                setattr(obj, name, value)
        self.saved.clear()


_MISSING = object()


def _hook_section(fn) -> str:
    fn = getattr(fn, "func", fn)
    module, name = getattr(fn, "__module__", "") or "", getattr(fn, "__name__", "")
    for prefix, function, section in HOOKS:
        if module.startswith(prefix) and function in (None, name):
            return section
    return "hooks"


def instrument(app, engine, load_user: tuple, clock: Clock, patches: Patches) -> None:
    """Wrap the sections of `app` (engine: its SQLAlchemy engine; load_user: (object, name) of
    the function that loads the signed-in user)."""
    import flask.templating
    from sqlalchemy.engine import cursor

    patches.set(app, "wsgi_app", clock.wrap("whole", app.wsgi_app))
    interface = copy.copy(app.session_interface)
    interface.open_session = clock.wrap("session", app.session_interface.open_session)
    interface.save_session = clock.wrap("session", app.session_interface.save_session)
    patches.set(app, "session_interface", interface)
    for attribute in ("before_request_funcs", "after_request_funcs", "teardown_request_funcs"):
        hooks = getattr(app, attribute)
        patches.set(app, attribute, {key: [clock.wrap(_hook_section(f), f) for f in funcs]
                                     for key, funcs in hooks.items()})
    patches.set(app, "teardown_appcontext_funcs",
                [clock.wrap("hooks", f) for f in app.teardown_appcontext_funcs])
    patches.set(app, "view_functions", {name: clock.wrap("view", view)
                                        for name, view in app.view_functions.items()})
    patches.set(load_user[0], load_user[1], clock.wrap("user", getattr(*load_user)))
    patches.set(flask.templating, "_render", clock.wrap("templates", flask.templating._render))
    dialect = engine.dialect
    for name in DRIVER:
        timed = clock.wrap("sql", getattr(dialect, name))
        if name.startswith("do_execute"):
            timed = _counting(clock, timed)
        patches.set(dialect, name, timed)
    for name in ("fetchone", "fetchmany", "fetchall"):
        patches.set(cursor.CursorFetchStrategy, name,
                    clock.wrap("sql", getattr(cursor.CursorFetchStrategy, name)))


def _counting(clock: Clock, fn):
    def counted(cursor, statement, *args, **kwargs):
        if not statement.lstrip().upper().startswith("BEGIN"):
            clock.statements += 1
        return fn(cursor, statement, *args, **kwargs)
    return counted


def this_app(data):
    """This app in the production configuration, signed in; (app, client, headers, engine,
    the user loader to wrap)."""
    from bench.common import make_app
    from webapp.extensions import db, login_manager

    app = make_app(data.url, APP_ENV="production", SECRET_KEY="breakdown-" + "x" * 40,
                   DATA_ENCRYPTION_KEY=Fernet.generate_key().decode(), WTF_CSRF_ENABLED=True,
                   RATELIMIT_ENABLED=True, LOG_JSON=True, TESTING=False)
    client, headers = _signed_in(app, data, "/home")
    with app.app_context():
        engine = db.engine
    return app, client, headers, engine, (login_manager, "_load_user")


def reference_app(data):
    from bench import reference_app as reference

    app = reference.create_app(data.url, "breakdown-" + "x" * 40)
    client, headers = _signed_in(app, data, "/enterprises/")
    return app, client, headers, app.extensions["reference_engine"], (reference, "signed_in")


def _signed_in(app, data, home: str):
    client = app.test_client()
    ua = {"User-Agent": USER_AGENT}
    page = client.get("/login", headers=ua).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", headers=ua, data={
        "email": data.email, "password": data.password, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    page = client.get(home, headers=ua).get_data(as_text=True)
    return client, {**ua, "X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)}


def _send(client, headers, key, request):
    method, target, body = request
    sent = {**headers, **(bench_server.HX if key in bench_server.HTMX_KEYS else {})}
    response = client.open(target, method=method, data=body or None, headers=sent,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, (target, response.status_code)
    assert "Set-Cookie" not in response.headers, f"{target}: the session cookie was re-signed"


def measure(data, keys: list[str]) -> dict:
    """{app name: {key: {line section: [ms a request, one per round]}}}."""
    plan = bench_server.plans(data)
    engine = create_engine(data.url)
    apps = {bench_server.THIS.name: this_app(data),
            bench_server.REFERENCE.name: reference_app(data)}
    served = {bench_server.THIS.name: set(bench_server.THIS.keys) | {"healthz"},
              bench_server.REFERENCE.name: set(bench_server.REFERENCE.keys) | {"healthz"}}
    results = {name: {key: defaultdict(list) for key in keys if key in served[name]}
               for name in apps}

    def batch(name, key):
        _app, client, headers, *_ = apps[name]
        if key == "toggle":
            bench_server.clear_drafts(engine, data)
        requests = plan[key]
        for i in range(REQUESTS):
            _send(client, headers, key, requests[i % len(requests)])

    for name in apps:  # warm-up
        for key in results[name]:
            batch(name, key)
    for number in range(ROUNDS):
        for name in (list(apps) if number % 2 == 0 else list(apps)[::-1]):
            app, _client, _headers, app_engine, load_user = apps[name]
            for key in results[name]:
                clock, patches = Clock(), Patches()
                patches.set(app, "wsgi_app", clock.wrap("whole", app.wsgi_app))
                try:
                    batch(name, key)
                finally:
                    patches.restore()
                results[name][key]["bare"].append(clock.own["whole"] / 1e6 / REQUESTS)
                clock, patches = Clock(), Patches()
                instrument(app, app_engine, load_user, clock, patches)
                try:
                    batch(name, key)
                finally:
                    patches.restore()
                _collect(clock, results[name][key])
    bench_server.clear_drafts(engine, data)
    engine.dispose()
    for _app, _client, _headers, app_engine, _load in apps.values():
        app_engine.dispose()
    return results


def _collect(clock: Clock, into: dict) -> None:
    per = 1e6 * REQUESTS  # ns of all the requests → ms a request
    own, sql_in = clock.own, clock.sql_in
    into["whole"].append(sum(own.values()) / per)
    for section in ("user", "view", "templates", "request log", "session", "csrf", "limiter",
                    "hooks"):
        into[f"{section}+sql"].append((own.get(section, 0) + sql_in.get(section, 0)) / per)
    into["sql in view"].append(sql_in.get("view", 0) / per)
    into["whole-own"].append((own.get("whole", 0) + sql_in.get("whole", 0)) / per)
    into["sql"].append(own.get("sql", 0) / per)
    into["statements"].append(clock.statements / REQUESTS)


def table(label: str, results: dict, keys: list[str]) -> list[str]:
    this, reference = bench_server.THIS.name, bench_server.REFERENCE.name
    names = {"healthz": "/healthz", "toggle": "toggle", "enterprises": "企业管理",
             "panel": "去分配 panel", "entitlements": "权益查询", "panel_search": "panel search",
             "autofill": "autofill"}
    lines = [f"### {label}: CPU ms a request, in-process (minimum of {ROUNDS} rounds of "
             f"{REQUESTS}); this app / reference", "",
             "| | " + " | ".join(names.get(k, k) for k in keys) + " |",
             "| --- |" + " ---: |" * len(keys)]
    for text, section in LINES:
        cells = []
        for key in keys:
            values = [results[app][key][section] for app in (this, reference)
                      if key in results[app]]
            if section == "statements":
                cells.append(" / ".join(f"{max(v):.0f}" for v in values))
            else:
                cells.append(" / ".join(f"{min(v):.2f}" for v in values))
        lines.append(f"| {text} | " + " | ".join(cells) + " |")
    return lines + [""]


def main(argv: list[str]) -> int:
    keys = argv or DEFAULT_KEYS
    postgres = os.environ.get("BENCH_PROFILE_DATABASE") == "postgres"
    if postgres:
        server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        data = server_data.postgres_copy(server)
    else:
        data = server_data.sqlite_copy()
    started = datetime.now(timezone.utc)
    load_before = os.getloadavg()
    try:
        server_data.seed(data)
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            results = measure(data, keys)
        version = "PostgreSQL" if postgres else "SQLite"
    finally:
        data.cleanup()
    load_after = os.getloadavg()
    lines = [f"## In-process CPU breakdown, {started:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {bench_server.machine()}; load average {load_before[0]:.2f} before, "
             f"{load_after[0]:.2f} after.", ""]
    lines += table(f"{version}, {server_data.ENTERPRISES:,} enterprises", results, keys)
    out = bench_server.RESULTS / f"breakdown-{version.lower()}-{started:%Y-%m-%d-%H%M}.md"
    bench_server.RESULTS.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines + [f"(written to {out.relative_to(bench_server.RESULTS.parent.parent)})"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
