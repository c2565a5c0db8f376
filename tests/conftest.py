"""Fixtures: an app per test on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set),
schemas built by running the migrations, and factories for orders, admins and staff."""
import os
import re
import uuid

import pytest
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from bench.common import login as form_login
from webapp import create_app
from webapp.extensions import db

CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgres"] if PG_URL else [])
PASSWORD = "secret-pass-1"

if CI and not PG_URL:
    raise pytest.UsageError("CI=true needs TEST_DATABASE_URL: the suite must run on PostgreSQL too")

BASE_CONFIG = {
    "TESTING": True,
    "APP_ENV": "testing",
    "SECRET_KEY": "test-secret-key",
    "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "MAIL_SERVER": None,
    "OUTBOX_SENDER": "off",
    "DEV_MAILBOX": False,
    "PUBLIC_BASE_URL": "http://portal.test",
    "RATELIMIT_STORAGE_URI": "memory://",
    "REDIS_URL": None,
    "MAIL_TIMEOUT": 2,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # production keeps scrypt
    # Forms post without tokens in most tests; tests/test_security.py turns CSRF back on.
    "WTF_CSRF_ENABLED": False,
}


def needs(part: str, why: str):
    """Skip for a missing part on a laptop; under CI=true a missing part fails the run."""
    if CI:
        pytest.fail(f"{part} is required under CI=true: {why}")
    pytest.skip(f"{part} not available: {why}")


def _create_pg_database() -> tuple[str, str]:
    name = f"webapp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, re.sub(r"/[^/?]+(\?|$)", rf"/{name}\1", PG_URL, count=1)


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    """One migrated database per kind for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        name = None
    else:
        name, url = _create_pg_database()
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if name:
        _drop_pg_database(name)


def _empty_tables():
    keep = {"product", "alembic_version"}
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.execute(text("DELETE FROM product WHERE code NOT IN "
                                "('issue', 'receive', 'image', 'archive')"))
    else:
        for table in tables:
            db.session.execute(table.delete())
        db.session.execute(text("DELETE FROM product WHERE code NOT IN "
                                "('issue', 'receive', 'image', 'archive')"))
    db.session.commit()


@pytest.fixture
def make_app(database_url):
    """A factory for apps on this run's database, with extra config on top."""
    apps = []

    def factory(**config):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        stop = app.extensions.get("outbox_stop")
        if stop:
            stop.set()
    if apps:
        with apps[0].app_context():
            _empty_tables()
            db.session.remove()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(make_app):
    """A client of an app with CSRF enforced as in production, and helpers for tokens."""
    app = make_app(WTF_CSRF_ENABLED=True)
    return app.test_client()


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form at `url` (as a browser would read it)."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


@pytest.fixture
def make_order(app):
    """Create (and by default deliver) an order; returns (order, key)."""
    from webapp.orders import service as orders

    counter = iter(range(1, 10_000))

    def factory(order_no=None, customer="苏州示例科技有限公司", email="buyer@example.com",
                lines=(("issue", 3), ("receive", 2)), delivered=True, **kw):
        with app.app_context():
            order = orders.create_order(
                order_no=order_no or f"SO-{next(counter)}", customer=customer, email=email,
                lines=list(lines), **kw)
            key = orders.deliver(order) if delivered else None
            db.session.commit()
            order_id = order.id
        return order_id, key

    return factory


@pytest.fixture
def make_staff(app):
    from webapp.auth import service as accounts

    def factory(role="support", email=None):
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@staff.test"
        with app.app_context():
            accounts.create_staff(email, role, PASSWORD)
            db.session.commit()
        return email

    return factory


def login(client, email, password=PASSWORD, csrf=False):
    """Sign in through the real form (asserts the 303). `csrf=True` first reads the form's token,
    as an app made with WTF_CSRF_ENABLED=True requires."""
    extra = {"csrf_token": csrf_token(client, "/login")} if csrf else {}
    return form_login(client, email, password, **extra)


@pytest.fixture
def make_admin(app, make_order):
    """An activated order and its tenant admin; returns a dict of ids and the login email."""
    from webapp.activation import service as activation
    from webapp.models import Order

    def factory(customer="苏州示例科技有限公司", email="buyer@example.com", **kw):
        order_id, _ = make_order(customer=customer, email=email, **kw)
        with app.app_context():
            order = db.session.get(Order, order_id)
            activation.choose_erp(order, "xingkong", "public")
            user = activation.activate(order, password=PASSWORD, confirm=PASSWORD)
            db.session.commit()
            return {"order_id": order_id, "email": user.email, "tenant_id": user.tenant_id,
                    "user_id": user.id}

    return factory


# --- a real SMTP server on loopback ---------------------------------------------------------

class Inbox:
    """What the loopback SMTP server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real aiosmtpd server on 127.0.0.1; `.inbox.messages` holds what it received."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


def text_of(message) -> str:
    """The text/plain part of a received email."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def html_of(message) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content()


# --- a live server and a real browser ------------------------------------------------------

def pytest_collection_modifyitems(config, items):
    """Browser tests run once, on SQLite: they test the pages, not the database."""
    keep, drop = [], []
    for item in items:
        param = getattr(getattr(item, "callspec", None), "params", {}).get("database_url")
        (drop if item.get_closest_marker("browser") and param == "postgres" else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def live_server(make_app):
    """Serve an app (CSRF on, as in production) on a free loopback port; `.url`, `.app`."""
    import threading

    from werkzeug.serving import make_server

    servers = []

    def start(**config):
        app = make_app(WTF_CSRF_ENABLED=True, **config)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        server.url = f"http://127.0.0.1:{server.server_port}"
        server.app = app
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        needs("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page; `page.shot(name)` keeps a screenshot under test-results/<test>/."""
    from pathlib import Path

    context = browser.new_context(locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    out = Path(__file__).resolve().parent.parent / "test-results" / re.sub(
        r"[^\w.-]+", "_", request.node.name)
    out.mkdir(parents=True, exist_ok=True)
    pg.shot = lambda name: pg.screenshot(path=str(out / f"{name}.png"), full_page=True)
    yield pg
    context.close()


# --- credentials fixtures ---

@pytest.fixture
def make_batch(app):
    """Allocate enterprises on an admin's order line as one AllocationBatch, built directly with
    models (the allocation feature's UI is not needed); returns (batch_id, [enterprise ids])."""
    from webapp.models import Allocation, AllocationBatch, Enterprise, Order

    counter = iter(range(1, 100_000))

    def factory(admin, names=None, line_index=0, order_id=None, count=2):
        with app.app_context():
            order = db.session.get(Order, order_id or admin["order_id"])
            line = order.lines[line_index]
            if names is None:
                names = []
                for _ in range(count):
                    n = next(counter)
                    names.append((f"测试企业{admin['tenant_id']}-{n:05d}有限公司",
                                  f"91320500MA{admin['tenant_id']:03d}{n:05d}"))
            enterprises = [Enterprise(tenant_id=admin["tenant_id"], name=name, tax_id=tax_id)
                           for name, tax_id in names]
            db.session.add_all(enterprises)
            batch = AllocationBatch(token=uuid.uuid4().hex, line_id=line.id,
                                    created_by_id=admin["user_id"])
            db.session.add(batch)
            db.session.flush()
            db.session.add_all(Allocation(line_id=line.id, enterprise_id=e.id, batch_id=batch.id,
                                          allocated_by_id=admin["user_id"]) for e in enterprises)
            line.quantity = max(line.quantity, line.allocated + len(enterprises))
            line.allocated += len(enterprises)
            db.session.commit()
            return batch.id, [e.id for e in enterprises]

    return factory


# --- shared sign-in (cleanup) ---

@pytest.fixture
def admin(make_admin, client):
    """A tenant admin of 苏州示例科技有限公司 with `client` signed in (some modules override it)."""
    info = make_admin()
    login(client, info["email"])
    return info


def browser_login(page, server, email, password=PASSWORD):
    """Sign in through the real /login form in `page`; the caller waits for what it expects next."""
    page.goto(server.url + "/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
