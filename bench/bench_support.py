"""Support console benchmark: search pages and the order page against GET /healthz.

Builds a throwaway SQLite database with 5,000 orders (each with an activation email), signs a
support agent in and reports each page's median time as a ratio of the bare endpoint's,
measured in the same run.
"""
import statistics
import time
from datetime import date

from bench.common import make_app, signed_in_client

ORDERS = 5_000
ROUNDS = 60


def _median_ms(client, url: str, status: int = 200, rounds: int = ROUNDS) -> float:
    """Median milliseconds of GET `url` (redirects not followed)."""
    client.get(url)  # warm up
    samples = []
    for _ in range(rounds):
        begin = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - begin)
        assert response.status_code == status, (url, response.status_code)
    return statistics.median(samples) * 1000


def _seed(app) -> tuple[str, int]:
    from sqlalchemy import insert, select

    from webapp.auth import service as accounts
    from webapp.extensions import db
    from webapp.models import Order, OrderLine, OutboxEmail, Product

    with app.app_context():
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
                 status="sent", attempts=1, message_id=f"<bench-{i}@bench>") for i in ids])
        accounts.create_staff("bench@staff.test", "support", "bench-pass-1")
        db.session.commit()
        return "bench@staff.test", ids[len(ids) // 2]


def run() -> list[str]:
    from webapp.extensions import db

    app = make_app()  # a throwaway SQLite database
    email, order_id = _seed(app)
    client = signed_in_client(app, email, "bench-pass-1")
    base = _median_ms(client, "/healthz")
    pages = [
        ("console, page 1", "/support/", 200),
        ("console, deep keyset page", f"/support/?after={order_id}", 200),
        ("search by name", "/support/?q=示例42", 200),
        ("find by pair (303)", "/support/find?customer=苏州示例1科技有限公司&order_no=SO-000001", 303),
        ("order page", f"/support/orders/{order_id}", 200),
    ]
    lines = [f"support: /healthz median {base:.2f} ms ({ORDERS} orders)"]
    for label, url, status in pages:
        ratio = _median_ms(client, url, status) / base
        lines.append(f"support: {label:<26} {ratio:6.1f}× /healthz")
    with app.app_context():
        db.engine.dispose()
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
