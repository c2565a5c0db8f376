"""Support console benchmark: search pages and the order page against GET /healthz.

Builds a throwaway SQLite database with 5,000 orders (each with an activation email), signs a
support agent in and reports each page's median time as a ratio of the bare endpoint's,
measured in the same run.
"""
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from cryptography.fernet import Fernet

ORDERS = 5_000
ROUNDS = 60


def _median_ms(client, url: str, rounds: int = ROUNDS) -> float:
    client.get(url)  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples) * 1000


def _seed(app) -> tuple[str, int]:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from webapp.extensions import db
    from webapp.models import Order, OrderLine, OutboxEmail, Product
    from webapp.services import accounts

    with app.app_context():
        upgrade()
        product_id = db.session.scalar(select(Product.id).where(Product.code == "issue"))
        db.session.execute(insert(Order), [
            dict(order_no=f"SO-{i:06d}", customer_name=f"苏州示例{i % 97}科技有限公司",
                 contact_email=f"buyer{i}@example.com") for i in range(ORDERS)])
        ids = list(db.session.scalars(select(Order.id)))
        db.session.execute(insert(OrderLine), [
            dict(order_id=i, product_id=product_id, quantity=3, allocated=0,
                 valid_from=date.today()) for i in ids])
        db.session.execute(insert(OutboxEmail), [
            dict(kind="activation", to_addr="buyer@example.com", subject="激活邮件", order_id=i,
                 status="sent", attempts=1) for i in ids])
        accounts.create_staff("bench@staff.test", "support", "bench-pass-1")
        db.session.commit()
        return "bench@staff.test", ids[len(ids) // 2]


def run() -> list[str]:
    from webapp import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench",
            "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(), "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "MAIL_SERVER": None, "OUTBOX_SENDER": "off", "RATELIMIT_STORAGE_URI": "memory://",
        })
        email, order_id = _seed(app)
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "bench-pass-1"})
        base = _median_ms(client, "/healthz")
        pages = {
            "console, page 1": "/support/",
            "console, deep keyset page": f"/support/?after={order_id}",
            "search by name": "/support/?q=示例42",
            "find by pair": "/support/find?customer=苏州示例1科技有限公司&order_no=SO-000001",
            "order page": f"/support/orders/{order_id}",
        }
        lines = [f"support: /healthz median {base:.2f} ms ({ORDERS} orders)"]
        for label, url in pages.items():
            if url.startswith("/support/find"):
                # a 303 to the order page: time it without following
                client.get(url)
                samples = []
                for _ in range(ROUNDS):
                    start = time.perf_counter()
                    assert client.get(url).status_code == 303
                    samples.append(time.perf_counter() - start)
                ms = statistics.median(samples) * 1000
            else:
                ms = _median_ms(client, url)
            lines.append(f"support: {label:<26} {ms / base:6.1f}× /healthz")
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()
        return lines


if __name__ == "__main__":
    print("\n".join(run()))
