"""The production layout under load and faults, shared by tests/scaleout (CI-sized) and
`python -m bench scaleout` (larger).

A Cluster is a fresh PostgreSQL database, one gunicorn (WEB_WORKERS workers, gunicorn.conf.py),
OUTBOX_WORKERS `flask outbox work` processes and a real SMTP server in this process (aiosmtpd)
that can go down, hang, and come back. Clients drive it through HTTP only (CSRF on, as in
production): activate an order, sign in a second admin, add enterprises and allocate them
against a small quota on the same line. check() then reads the database: the invariants that
must hold whatever was killed.
"""
import email.policy
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Scale-out-Passw0rd!"
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
LINK_RE = re.compile(r"(https?://\S+/activate/[\w.-]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tax_id(n: int, prefix: str = "91320500") -> str:
    """A valid 18-character unified social credit code, distinct for each `n`."""
    from webapp.core.taxid import check_character

    body = f"{prefix}{n:0{17 - len(prefix)}d}"
    return body + check_character(body)


class Sink:
    """A real SMTP server on one port that can be switched down, hanging, or up."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.controller = None
        self.hanging = None
        self.up()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def up(self):
        from aiosmtpd.controller import Controller

        self._close_hanging()
        if self.controller is None:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def down(self):
        self._close_hanging()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def hang(self):
        """Accept connections and never answer."""
        self.down()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        conns = []

        def accept():
            while True:
                try:
                    conns.append(sock.accept()[0])
                except OSError:
                    return

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        self.hanging = (sock, conns, thread)

    def _close_hanging(self):
        if self.hanging:
            sock, conns, thread = self.hanging
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            except OSError:
                pass
            sock.close()
            thread.join(5)
            for conn in conns:
                conn.close()
            self.hanging = None

    def message_ids(self) -> Counter:
        return Counter(m["Message-ID"] for m in self.messages)


@dataclass
class Tenant:
    order_no: str
    email: str
    link: str
    key: str
    order_id: int
    line_id: int
    activated: threading.Event = field(default_factory=threading.Event)


@dataclass
class Outcome:
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    failures: list = field(default_factory=list)
    seconds: list = field(default_factory=list)  # each answered request's duration


class Client:
    """One browser-less user: a requests.Session that follows the forms as a person would."""

    def __init__(self, base: str, outcome: Outcome, lock: threading.Lock, retries: int = 4):
        self.base, self.outcome, self.lock, self.retries = base, outcome, lock, retries
        self.http = requests.Session()
        self.retried = False  # the last answer came to a repeated request

    def _call(self, method: str, path: str, **kw) -> requests.Response:
        for attempt in range(self.retries):
            started = time.perf_counter()
            try:
                response = self.http.request(method, self.base + path, timeout=20,
                                             allow_redirects=False, **kw)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                # A web worker died under this request; the step is repeatable, so repeat it.
                with self.lock:
                    self.outcome.connection_errors += 1
                time.sleep(0.2 * (attempt + 1))
                continue
            with self.lock:
                self.outcome.statuses[response.status_code] += 1
                self.outcome.seconds.append(time.perf_counter() - started)
            self.retried = attempt > 0
            return response
        raise RuntimeError(f"{method} {path}: no answer after {self.retries} attempts")

    def get(self, path: str) -> requests.Response:
        return self._call("GET", path)

    def post(self, path: str, data: dict, page: str, htmx: bool = False) -> requests.Response:
        form = self.get(page)
        found = CSRF_RE.search(form.text)
        if not found:
            raise RuntimeError(f"GET {page}: {form.status_code} without a CSRF token")
        token = found.group(1)
        headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if htmx else {})}
        return self._call("POST", path, data={**data, "csrf_token": token}, headers=headers)

    def expect(self, response: requests.Response, *codes: int, what: str) -> None:
        """Record an unexpected answer. A repeated request (its first try's answer was lost
        with a killed worker) may find its work done already: any answer below 500 will do."""
        if self.retried and response.status_code < 500:
            return
        if response.status_code not in codes:
            with self.lock:
                self.outcome.failures.append(f"{what}: {response.status_code}")


def activate(client: Client, tenant: Tenant) -> None:
    path = tenant.link.split("//", 1)[1].split("/", 1)[1]
    page = "/" + path
    client.expect(client.post(f"{page}/key", {"key": tenant.key}, page), 303, what="key")
    client.expect(client.post(f"{page}/erp", {"erp": "xingkong", "deployment": "public"}, page),
                  303, what="erp")
    client.expect(client.post(f"{page}/complete", {"password": PASSWORD, "confirm": PASSWORD},
                              page), 303, what="complete")


def sign_in(client: Client, email: str) -> None:
    response = client.post("/login", {"email": email, "password": PASSWORD}, "/login")
    client.expect(response, 303, what="login")


def add_enterprises(client: Client, numbers: range) -> None:
    for n in numbers:
        response = client.post("/enterprises/new", {
            "name": f"规模测试企业{n:05d}有限公司", "tax_id": tax_id(n), "source": "manual"},
            "/enterprises/new")
        # 422 only when a retried request had already been saved (the tax ID is taken)
        client.expect(response, 303, 422, what="add enterprise")


def allocate(client: Client, tenant: Tenant) -> None:
    base = f"/orders/{tenant.order_id}/lines/{tenant.line_id}"
    panel = client.get(base + "/allocate")
    client.expect(panel, 200, what="panel")
    for enterprise_id in re.findall(r'<tr id="ent-(\d+)"', panel.text):
        response = client.post(base + "/toggle", {"enterprise_id": enterprise_id,
                                                  "selected": enterprise_id},
                               base + "/allocate", htmx=True)
        client.expect(response, 200, 409, what="toggle")  # 409: 可分配数量已用完
    confirm = client.get(base + "/confirm")
    client.expect(confirm, 200, 303, what="confirm")
    found = re.search(r'name="token" value="([^"]+)"', confirm.text)
    if confirm.status_code == 200 and found:
        # the CSRF token from the panel: on a repeat, /confirm already redirects (draft committed)
        response = client.post(base + "/commit", {"token": found.group(1)}, base + "/allocate")
        # 303 allocated; 409 / 422: the other admin committed this quota first
        client.expect(response, 303, 409, 422, what="commit")


class Cluster:
    """A fresh database, gunicorn, outbox workers and an SMTP sink; stop() cleans up."""

    def __init__(self, server_url: str, web_workers: int = 2, outbox_workers: int = 2,
                 **settings):
        self.server_url = server_url
        self.name = f"scaleout_{uuid.uuid4().hex[:10]}"
        self.url = re.sub(r"/[^/?]+(\?|$)", rf"/{self.name}\1", server_url, count=1)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.sink = Sink()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("MAIL_", "OUTBOX_", "WEB_", "LOG_"))}
        self.env.update({
            "APP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32),
            "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(), "DATABASE_URL": self.url,
            "PUBLIC_BASE_URL": self.base, "BIND": f"127.0.0.1:{self.port}",
            "WEB_WORKERS": str(web_workers), "OUTBOX_SENDER": "off",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.sink.port), "MAIL_TIMEOUT": "1",
            "OUTBOX_LEASE_SECONDS": "3", "OUTBOX_POLL_SECONDS": "0.1",
            "OUTBOX_BACKOFF_SECONDS": "0.5", "LOG_JSON": "false", "PYTHONUNBUFFERED": "1",
        })
        self.env.update({k: str(v) for k, v in settings.items()})
        self.outbox_count = outbox_workers
        self.web = None
        self.outbox = []
        self.tenants: list[Tenant] = []
        self.app = None

    # --- lifecycle ---

    def start(self) -> "Cluster":
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        from flask_migrate import upgrade

        from webapp import create_app

        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": self.url, "SECRET_KEY": self.env["SECRET_KEY"],
            "DATA_ENCRYPTION_KEY": self.env["DATA_ENCRYPTION_KEY"], "OUTBOX_SENDER": "off",
            "MAIL_SERVER": None, "PUBLIC_BASE_URL": self.base, "LOG_JSON": False,
            "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None})
        with self.app.app_context():
            upgrade()
        return self

    def seed(self, tenants: int, quantity: int) -> None:
        """Delivered orders (their activation emails queued) with one small line each."""
        from webapp.core import outbox
        from webapp.extensions import db
        from webapp.models import OrderLine, OutboxEmail
        from webapp.orders import service as orders

        with self.app.app_context():
            for i in range(tenants):
                order = orders.create_order(
                    order_no=f"SO-SCALE-{i}", customer=f"规模测试{i:03d}集团有限公司",
                    email=f"buyer{i}@example.com", lines=[("issue", quantity)])
                key = orders.deliver(order)
                db.session.commit()
                row = db.session.query(OutboxEmail).filter_by(order_id=order.id).one()
                link = LINK_RE.search(outbox.body(row)[0]).group(1)
                line_id = db.session.query(OrderLine.id).filter_by(order_id=order.id).scalar()
                self.tenants.append(Tenant(order.order_no, order.contact_email, link, key,
                                           order.id, line_id))

    def run_processes(self) -> None:
        self.web = self._spawn([sys.executable, "-m", "gunicorn", "-c",
                                str(ROOT / "gunicorn.conf.py")])
        for _ in range(self.outbox_count):
            self.outbox.append(self._outbox_worker())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    if len(self.web_workers()) == int(self.env["WEB_WORKERS"]):
                        return
            except requests.RequestException:  # not listening yet, or still booting
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start:\n" + self.output(self.web))

    def _spawn(self, argv):
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        proc.log = log
        return proc

    def _outbox_worker(self):
        return self._spawn([sys.executable, "-m", "flask", "--app", "webapp", "outbox", "work",
                            "--no-daily"])

    @staticmethod
    def output(proc) -> str:
        proc.log.seek(0)
        return proc.log.read().decode(errors="replace")[-5000:]

    def web_workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def kill_outbox_worker(self, index: int = 0) -> None:
        """SIGKILL one outbox worker and start a replacement (as make serve would)."""
        dead = self.outbox[index]
        dead.kill()
        dead.wait()
        dead.log.close()
        self.outbox[index] = self._outbox_worker()

    def stop(self) -> None:
        for proc in [p for p in [self.web, *self.outbox] if p is not None]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [p for p in [self.web, *self.outbox] if p is not None]:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.log.close()
        self.sink.down()
        if self.app is not None:
            from webapp.extensions import db

            with self.app.app_context():
                db.engine.dispose()
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()

    # --- load ---

    def load(self, enterprises_per_client: int = 3, during=None) -> Outcome:
        """Per tenant, two admins at once: one activates, the other signs in after it; both add
        enterprises and allocate them on the same small line. `during(cluster)` runs meanwhile."""
        outcome, lock = Outcome(), threading.Lock()
        errors = []

        def first(i, tenant):
            client = Client(self.base, outcome, lock)
            activate(client, tenant)
            tenant.activated.set()
            add_enterprises(client, range(i * 100, i * 100 + enterprises_per_client))
            allocate(client, tenant)

        def second(i, tenant):
            client = Client(self.base, outcome, lock)
            tenant.activated.wait(60)
            sign_in(client, tenant.email)
            add_enterprises(client, range(i * 100 + 50, i * 100 + 50 + enterprises_per_client))
            allocate(client, tenant)

        def guarded(fn, *args):
            try:
                fn(*args)
            except Exception as exc:  # reported as a failure instead of a silent thread death
                errors.append(repr(exc))

        threads = [threading.Thread(target=guarded, args=(fn, i, tenant))
                   for i, tenant in enumerate(self.tenants) for fn in (first, second)]
        for thread in threads:
            thread.start()
        if during:
            during(self)
        for thread in threads:
            thread.join(120)
        outcome.failures += errors
        return outcome

    def wait_delivered(self, timeout: float = 60) -> bool:
        """Until no email is pending (True), or the timeout passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.scalar("SELECT count(*) FROM outbox_email WHERE status <> 'sent'") == 0:
                return True
            time.sleep(0.2)
        return False

    # --- checks ---

    def scalar(self, sql: str):
        from webapp.extensions import db

        with self.app.app_context():
            value = db.session.execute(text(sql)).scalar()
            db.session.remove()
            return value

    def check(self) -> list[str]:
        """Every invariant that must hold whatever was killed; the problems found."""
        problems = []
        queries = {
            "a line past its quantity or out of step with its allocations": """
                SELECT count(*) FROM order_line l WHERE l.allocated > l.quantity OR l.allocated <>
                (SELECT count(*) FROM allocation a WHERE a.line_id = l.id)""",
            "a batch without allocations": """
                SELECT count(*) FROM allocation_batch b WHERE NOT EXISTS
                (SELECT 1 FROM allocation a WHERE a.batch_id = b.id)""",
            "an allocation without its batch": """
                SELECT count(*) FROM allocation WHERE batch_id IS NULL""",
            "a batch without its audit entry": """
                SELECT (SELECT count(*) FROM allocation_batch)
                     - (SELECT count(*) FROM audit_entry WHERE action = 'allocation.commit')""",
            "a batch without its 授权邮件": """
                SELECT (SELECT count(*) FROM allocation_batch)
                     - (SELECT count(*) FROM outbox_email WHERE kind = 'authorization')""",
            "an allocated enterprise without its credential": """
                SELECT count(*) FROM allocation a WHERE NOT EXISTS (SELECT 1 FROM credential c
                WHERE c.enterprise_id = a.enterprise_id)""",
            "an activated order without its admin": """
                SELECT count(*) FROM "order" o WHERE o.activated_at IS NOT NULL AND NOT EXISTS
                (SELECT 1 FROM "user" u WHERE u.tenant_id = o.tenant_id)""",
        }
        for problem, sql in queries.items():
            found = self.scalar(sql)
            if found:
                problems.append(f"{problem}: {found}")
        return problems

    def deliveries(self) -> tuple[set, Counter]:
        """(every outbox row's Message-ID, how often each Message-ID reached the SMTP server)."""
        from webapp.extensions import db

        with self.app.app_context():
            ids = set(db.session.execute(text("SELECT message_id FROM outbox_email")).scalars())
            db.session.remove()
        return ids, self.sink.message_ids()

