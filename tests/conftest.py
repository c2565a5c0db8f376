"""Fixtures: the database (fixtures/database.py), a real SMTP server (fixtures/smtp.py), a live
server and a browser (fixtures/browser.py), and the factories every feature's tests use."""
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from factories import PASSWORD, login, tax_id

from webapp.extensions import db
from webapp.models.tenant import enterprises_added

pytest_plugins = ["fixtures.database", "fixtures.smtp", "fixtures.browser"]


def pytest_configure(config):
    """`make test` runs the suite in pytest-xdist workers (Makefile): each worker has its own
    databases (fixtures/database.py) and here its own Redis database, counting down from
    TEST_REDIS_URL's (gw0 keeps it, gw1 takes the one below), so that limits keyed by row ids
    that restart in every database (`order:1`) never count another worker's attempts."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_REDIS_URL")
    if worker and url:
        parts = urlsplit(url)
        base = int(parts.path.strip("/") or 0)
        number = (base - int(worker.removeprefix("gw"))) % 16
        os.environ["TEST_REDIS_URL"] = urlunsplit(parts._replace(path=f"/{number}"))


# The tests that take longest (10–30 s each here: processes, a browser, the model test's search),
# started first so that under xdist no worker is left running one of them after the others ran out
# of work. Only the order changes; every test still runs.
LONGEST_FIRST = ("tests/changes/test_model.py::test_every_invariant_holds",
                 "tests/scaleout/", "tests/allocation/test_allocation_concurrency.py")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    def rank(item):
        if item.nodeid.startswith(LONGEST_FIRST):
            return 0
        return 1 if item.get_closest_marker("browser") else 2

    items.sort(key=rank)  # stable: within a rank, the usual order


@pytest.fixture
def make_order(app):
    """Create (and by default deliver) an order; returns (order, key)."""
    from webapp.orders import service as orders

    counter = iter(range(1, 10_000))

    def factory(order_no=None, customer="苏州示例科技有限公司", email="buyer@example.com",
                lines=(("issue", 3), ("receive", 2)), delivered=True, **kw):
        with app.app_context():
            order = orders.create_order(
                order_no=order_no or f"SO-{next(counter)}", customer=customer, contact_email=email,
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
                                  tax_id(admin["tenant_id"] * 100_000 + n, "91320500M")))
            enterprises = [Enterprise(tenant_id=admin["tenant_id"], name=name, tax_id=number)
                           for name, number in names]
            db.session.add_all(enterprises)
            enterprises_added(admin["tenant_id"], len(enterprises))
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


@pytest.fixture
def admin(make_admin, client):
    """A tenant admin of 苏州示例科技有限公司 with `client` signed in (some modules override it)."""
    info = make_admin()
    login(client, info["email"])
    return info


@pytest.fixture
def signed_in(app, make_staff):
    """signed_in(role) or signed_in(email=...): a fresh client signed in (staff made on demand)."""

    def factory(role=None, email=None):
        client = app.test_client()
        login(client, email or make_staff(role))
        return client

    return factory
