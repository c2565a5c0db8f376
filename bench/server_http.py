"""A gunicorn server in the production configuration on a loopback port, for bench_server."""
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


class Server:
    """`with Server(url, workers) as server:` gunicorn answering on server.base_url."""

    def __init__(self, database_url: str, workers: int):
        self.database_url = database_url
        self.workers = workers
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.cookie = ""
        self.process = None

    def __enter__(self) -> "Server":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--graceful-timeout", "5", "webapp:create_app()"],
            cwd=ROOT, env=production_environment(self.database_url))
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(self, method: str, target: str, body: str = "",
                headers: dict | None = None) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = {"Cookie": self.cookie} if self.cookie else {}
            if body:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, target, body=body or None, headers={**sent, **(headers or {})})
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

    def sign_in(self, email: str, password: str) -> dict[str, str]:
        """Sign in through the real /login form; returns the headers a signed-in htmx page
        sends (its session cookie and the X-CSRFToken from <body hx-headers>)."""
        status, _, page = self.request("GET", "/login")
        match = LOGIN_CSRF.search(page)
        assert status == 200 and match, status
        token = match.group(1) or match.group(2)
        status, headers, _ = self.request("POST", "/login", urlencode(
            {"email": email, "password": password, "csrf_token": token}))
        assert status == 303, f"login answered {status}"
        status, _, page = self.request("GET", "/home")
        assert status == 200, status
        return {"Cookie": self.cookie, "X-CSRFToken": CSRF.search(page).group(1)}

    def check(self, request: tuple[str, str, str], headers: dict[str, str]) -> None:
        """The request answers 200 as the signed-in user (wrk would count a 303 to /login)."""
        method, target, body = request
        saved, self.cookie = self.cookie, ""
        try:
            status, _, _ = self.request(method, target, body, headers)
        finally:
            self.cookie = saved
        assert status == 200, f"{method} {target} answered {status}"

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
