"""A gunicorn server in the production configuration on a loopback port, for bench_server: this
app or the reference app (bench/reference_app.py), with the CPU time its workers have used."""
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# wrk sends no User-Agent of its own; every request of the benchmark sends this one, the login
# included: flask-login's session protection hashes it with the address, and a login made with
# another one would be re-signed (a Set-Cookie) on every measured request.
USER_AGENT = "bench-server/wrk"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
LOGIN_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_environment(database_url: str) -> dict[str, str]:
    """The environment of a production deployment: fresh secrets, no mail server, no sender
    thread; nothing inherited that would change the app (a .env file does not override these)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "TEST_", "BENCH_", "REGISTRY_", "FLASK_"))}
    env.update({
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "OUTBOX_SENDER": "off",
        "MAIL_SERVER": "",
        "REDIS_URL": "",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime + stime in clock ticks) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the name in brackets may hold spaces
    return int(fields[1]), int(fields[11]) + int(fields[12])


class Server:
    """`with Server(url, workers, app) as server:` gunicorn answering on server.base_url.

    `app` is the WSGI application gunicorn loads; `worker_class` and `threads` are given on the
    command line, so the gunicorn.conf.py of `make serve` (read from the working directory)
    decides nothing that is measured. The server's output goes to `log` (a path), not the
    terminal: a production app writes a JSON line per request.
    """

    def __init__(self, database_url: str, workers: int, app: str = "webapp:create_app()",
                 worker_class: str = "sync", threads: int = 1, log: Path | None = None):
        self.database_url = database_url
        self.workers = workers
        self.app = app
        self.worker_class = worker_class
        self.threads = threads
        self.log = log or Path(os.devnull)
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.cookie = ""
        self.process = None
        self._output = None

    def __enter__(self) -> "Server":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self._output = open(self.log, "ab")
        self.process = subprocess.Popen(
            [str(gunicorn), "--workers", str(self.workers), "--worker-class", self.worker_class,
             "--threads", str(self.threads), "--no-control-socket",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--graceful-timeout", "5", self.app],
            cwd=ROOT, env=production_environment(self.database_url),
            stdout=self._output, stderr=self._output)
        deadline = time.monotonic() + 60
        while True:
            try:
                if (self.request("GET", "/healthz")[0] == 200
                        and len(self.worker_pids()) == self.workers):
                    return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"gunicorn ({self.app}) did not answer /healthz within 60 s; "
                                   f"see {self.log}")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._output:
            self._output.close()

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's child processes."""
        master = self.process.pid
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] == master:
                pids.append(int(entry.name))
        return sorted(pids)

    def cpu_seconds(self) -> tuple[tuple[int, ...], float]:
        """(the workers' pids, the CPU seconds they have used so far: user + system, every
        thread). Compare two readings only when the pids are the same (a worker restarted)."""
        pids = tuple(self.worker_pids())
        ticks = sum(stat[1] for pid in pids if (stat := _stat(pid)))
        return pids, ticks / CLOCK_TICKS

    def request(self, method: str, target: str, body: str = "",
                headers: dict | None = None) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = {"User-Agent": USER_AGENT, **({"Cookie": self.cookie} if self.cookie else {})}
            if body:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent.update(headers or {})
            connection.request(method, target, body=body or None, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                cookies = dict(part.split("=", 1) for part in self.cookie.split("; ") if part)
                cookies.update({name: morsel.value for name, morsel in jar.items()})
                self.cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            return response.status, dict(response.headers), text
        finally:
            connection.close()

    def sign_in(self, email: str, password: str, home: str = "/home") -> dict[str, str]:
        """Sign in through the app's /login form; returns the headers a signed-in htmx page
        sends (the User-Agent, the session cookie and the X-CSRFToken from <body hx-headers>
        of `home`, a page the user lands on)."""
        status, _, page = self.request("GET", "/login")
        match = LOGIN_CSRF.search(page)
        assert status == 200 and match, status
        token = match.group(1) or match.group(2)
        status, _, _ = self.request("POST", "/login", urlencode(
            {"email": email, "password": password, "csrf_token": token}))
        assert status == 303, f"login answered {status}"
        status, _, page = self.request("GET", home)
        assert status == 200, status
        return {"User-Agent": USER_AGENT, "Cookie": self.cookie,
                "X-CSRFToken": CSRF.search(page).group(1)}

    def check(self, request: tuple[str, str, str], headers: dict[str, str]) -> tuple[dict, str]:
        """The request answers 200 as the signed-in user (wrk would count a 303 to /login);
        returns the response's headers and body."""
        method, target, body = request
        saved, self.cookie = self.cookie, ""
        try:
            status, answered, text = self.request(method, target, body, headers)
        finally:
            self.cookie = saved
        assert status == 200, f"{method} {target} answered {status}"
        return answered, text

    def database_version(self) -> str:
        from sqlalchemy import create_engine, text

        if self.database_url.startswith("sqlite"):
            import sqlite3
            return f"SQLite {sqlite3.sqlite_version} (WAL)"
        engine = create_engine(self.database_url)
        with engine.connect() as conn:
            version = conn.scalar(text("SHOW server_version"))
        engine.dispose()
        return f"PostgreSQL {version} on 127.0.0.1"
