"""Shared measuring helpers: an app on a throwaway database, request throughput, SQL
statement counts and signing in (the tests use the last two as well)."""
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from flask_migrate import upgrade

from webapp import create_app
from webapp.database import count_statements
from webapp.extensions import db

BENCH_CONFIG = {
    "APP_ENV": "bench", "SECRET_KEY": "bench", "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "MAIL_SERVER": None, "OUTBOX_SENDER": "off", "WTF_CSRF_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None,
    # In-process benches measure the app's own work; the request log's cost shows in
    # `python -m bench server`, which runs the production configuration.
    "LOG_JSON": False,
}


def make_app(database_url: str | None = None, **config):
    """An app on `database_url` (default: a fresh SQLite file), migrated."""
    if database_url is None:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    app = create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def requests_per_second(client, method: str, url: str, seconds: float = 2.0, **kwargs) -> float:
    """Requests per second for `url` over about `seconds`, after a warm-up."""
    call = getattr(client, method.lower())
    for _ in range(5):
        call(url, **kwargs)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = call(url, **kwargs)
        assert response.status_code < 400, (url, response.status_code)
        count += 1
    return count / (time.perf_counter() - started)


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    """p50 and p99 of a list of milliseconds."""
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def statements_for(app, client, url: str) -> int:
    """How many SQL statements one GET of `url` sends (the answer must be 200)."""
    with count_statements(app) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def login(client, email: str, password: str, **data):
    """Sign `client` in through the real /login form; asserts the 303 that means it worked."""
    response = client.post("/login", data={"email": email, "password": password, **data})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def signed_in_client(app, email: str, password: str):
    """A fresh test client of `app`, signed in as `email`."""
    client = app.test_client()
    login(client, email, password)
    return client


def activated_order(password: str, **order):
    """Create, deliver and activate (星空 / 公有云) an order from `order` (create_order's keywords);
    returns (order, its tenant admin). Call inside an app context; the caller commits."""
    from webapp.activation import service as activation
    from webapp.orders import service as orders

    created = orders.create_order(**order)
    orders.deliver(created)
    activation.choose_erp(created, "xingkong", "public")
    return created, activation.activate(created, password=password, confirm=password)
