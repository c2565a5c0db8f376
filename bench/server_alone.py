"""CPU a signed-in request costs each app alone in its own process, in-process
(`python -m bench.server_alone [endpoint ...]`, default: the four compared requests and
/healthz; BENCH_PROFILE_DATABASE=postgres for PostgreSQL).

`make bench-breakdown` runs both apps in one process, where each pays for the other's heap and
caches; a server runs each app in processes of its own. Here a child process per app signs in
through its login form (production configuration, as bench.server_breakdown), warms up, then
measures BENCH_ALONE_ROUNDS (5) rounds of BENCH_ALONE_REQUESTS (500) requests per endpoint with
the thread's CPU clock, Flask's test client included (the same for both apps). Each figure is
the minimum over the rounds; every toggle round starts with the drafts cleared. Quicker than
`make bench-server` (about a minute a database) and close to its ratios; no timing is asserted.
"""
import contextlib
import json
import os
import subprocess
import sys
import time

from sqlalchemy import create_engine

from bench import bench_server, server_data
from bench.server_breakdown import DEFAULT_KEYS, _send, reference_app, this_app

ROUNDS = int(os.environ.get("BENCH_ALONE_ROUNDS") or 5)
REQUESTS = int(os.environ.get("BENCH_ALONE_REQUESTS") or 500)
APPS = {"this": this_app, "reference": reference_app}


def measure(name: str, keys: list[str]) -> dict[str, float]:
    """{endpoint: CPU ms a request} of one app, on a fresh copy of the benchmark's data."""
    postgres = os.environ.get("BENCH_PROFILE_DATABASE") == "postgres"
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    data = server_data.postgres_copy(server) if postgres else server_data.sqlite_copy()
    try:
        server_data.seed(data)
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            _app, client, headers, _engine, _loader = APPS[name](data)
            drafts = create_engine(data.url)  # not the app's: the reference's needs a request
            plan = bench_server.plans(data)
            for key in keys:  # warm-up: templates compiled, statements prepared
                for i in range(200):
                    _send(client, headers, key, plan[key][i % len(plan[key])])
            best: dict[str, float] = {}
            for _round in range(ROUNDS):
                for key in keys:
                    if key == "toggle":
                        bench_server.clear_drafts(drafts, data)
                    started = time.thread_time_ns()
                    for i in range(REQUESTS):
                        _send(client, headers, key, plan[key][i % len(plan[key])])
                    spent = (time.thread_time_ns() - started) / REQUESTS / 1e6
                    best[key] = min(best.get(key, spent), spent)
            bench_server.clear_drafts(drafts, data)
            drafts.dispose()
        return best
    finally:
        data.cleanup()


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--app":  # the child: one app, its figures as JSON on stdout
        print(json.dumps(measure(argv[1], argv[2].split(","))))
        return 0
    keys = argv or DEFAULT_KEYS
    results = {}
    for name in APPS:
        done = subprocess.run([sys.executable, "-m", "bench.server_alone", "--app", name,
                               ",".join(keys)], capture_output=True, text=True, check=True)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    database = "PostgreSQL" if os.environ.get("BENCH_PROFILE_DATABASE") == "postgres" else "SQLite"
    print(f"{database}, each app alone in a process: CPU ms a request (minimum of {ROUNDS} "
          f"rounds of {REQUESTS}, test client included)")
    print("| request | this app | reference | this / reference |")
    print("| --- | ---: | ---: | ---: |")
    for key in keys:
        this, reference = results["this"][key], results["reference"][key]
        print(f"| {key} | {this:.3f} | {reference:.3f} | {this / reference:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
