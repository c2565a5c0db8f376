"""合并租户 of a tenant with 1,000 enterprises, 3 orders and their allocations, credentials,
drafts and audit rows into a tenant that already has 200 enterprises (100 names collide).

Reports the time of the execution (claim, recompute the preview, move, commit) and checks that
every kind of row is counted equal before and after. Goal: under 2 s on SQLite.
`BENCH_MERGE_ENTERPRISES` changes the size; `BENCH_DATABASE_URL` runs it on PostgreSQL.
"""
import os
import time
from datetime import datetime, timezone

from sqlalchemy import func, insert, select

from bench.common import make_app
from webapp.core import crypto
from webapp.core.taxid import compose
from webapp.extensions import db
from webapp.models import (Allocation, AllocationDraft, AuditEntry, ChangeRequest, Credential,
                           Enterprise, Order, OrderLine, Product, Tenant, User)

GOAL_SECONDS = 2.0


def _tax(i: int) -> str:
    return compose("91320500", f"{i:08d}")


def _tenant(name: str, count: int, offset: int, *, orders: int, colliding: int = 0) -> int:
    now = datetime.now(timezone.utc)
    tenant = Tenant(name=name)
    db.session.add(tenant)
    db.session.flush()
    names = [f"合并基准企业{i:06d}" if i < colliding else f"{name}-企业{i:06d}" for i in range(count)]
    db.session.execute(insert(Enterprise), [
        {"tenant_id": tenant.id, "tax_id": _tax(offset + i), "name": names[i], "source": "manual",
         "created_at": now} for i in range(count)])
    ids = list(db.session.scalars(select(Enterprise.id).where(Enterprise.tenant_id == tenant.id)
                                  .order_by(Enterprise.id)))
    products = list(db.session.scalars(select(Product).order_by(Product.id)))[:3]
    secret = crypto.encrypt("bench-secret")  # one token for all: encryption is not measured here
    for n in range(orders):
        order = Order(order_no=f"MERGE-{offset}-{n}", customer_name=name,
                      contact_email="m@example.com", tenant_id=tenant.id, delivered_at=now,
                      activated_at=now)
        order.lines = [OrderLine(product=p, quantity=count, allocated=count) for p in products]
        db.session.add(order)
        db.session.flush()
        for line in order.lines:
            db.session.execute(insert(Allocation), [
                {"line_id": line.id, "enterprise_id": e, "allocated_at": now, "status": "active"}
                for e in ids[n::orders]])
            line.allocated = len(ids[n::orders])
        db.session.execute(insert(AllocationDraft), [
            {"line_id": order.lines[0].id, "enterprise_id": e, "created_at": now}
            for e in ids[n::orders][:20]])
    db.session.execute(insert(Credential), [
        {"scope": "enterprise", "tenant_id": tenant.id, "enterprise_id": e,
         "client_id": f"fpy-e-bench{offset}-{e}", "client_secret_enc": secret,
         "encry_key_enc": secret, "created_at": now, "status": "active"} for e in ids])
    db.session.execute(insert(AuditEntry), [
        {"at": now, "actor_label": "bench", "tenant_id": tenant.id, "action": "enterprise.created",
         "target_type": "enterprise", "target_id": e} for e in ids])
    admin = User(email=f"merge-{offset}@bench.test", role="tenant_admin", tenant_id=tenant.id,
                 password_hash="x")
    db.session.add(admin)
    db.session.commit()
    return tenant.id


def _rows(tenant_id: int) -> dict:
    enterprises = select(Enterprise.id).where(Enterprise.tenant_id == tenant_id)
    orders = select(Order.id).where(Order.tenant_id == tenant_id)

    def n(q):
        return db.session.scalar(select(func.count()).select_from(q.subquery()))

    return {
        "orders": n(orders), "lines": n(select(OrderLine.id).where(OrderLine.order_id.in_(orders))),
        "enterprises": n(enterprises),
        "allocations": n(select(Allocation.id).where(Allocation.enterprise_id.in_(enterprises))),
        "credentials": n(select(Credential.id).where(Credential.tenant_id == tenant_id)),
        "drafts": n(select(AllocationDraft.id).where(AllocationDraft.enterprise_id.in_(enterprises))),
        "admins": n(select(User.id).where(User.tenant_id == tenant_id)),
        "audit": n(select(AuditEntry.id).where(AuditEntry.tenant_id == tenant_id,
                                               AuditEntry.action == "enterprise.created")),
    }


def run() -> list[str]:
    from webapp.changes import execute

    count = int(os.environ.get("BENCH_MERGE_ENTERPRISES", "1000"))
    app = make_app(os.environ.get("BENCH_DATABASE_URL"))
    # Outside a request every transaction may write; inside one, a transaction begun after a
    # commit is read-only (webapp/database.py), so only the execution runs in a request.
    with app.app_context():
        source = _tenant("合并基准源租户", count, 0, orders=3, colliding=100)
        target = _tenant("合并基准目标租户", 200, 10_000_000, orders=1, colliding=100)
        approver = User(email="approver@bench.test", role="approver", password_hash="x")
        db.session.add(approver)
        req = ChangeRequest(kind="merge_tenant", status="approved", tenant_id=source,
                            source_tenant_id=source, target_tenant_id=target, reason="bench")
        db.session.add(req)
        db.session.commit()
        before = {k: v + _rows(target)[k] for k, v in _rows(source).items()}
        started = time.perf_counter()
        with app.test_request_context(method="POST"):
            executed = execute.run(req, approver)
            db.session.commit()
        elapsed = time.perf_counter() - started
        after_source, after_target = _rows(source), _rows(target)
        assert executed and req.status == "executed", req.error
        lost = {k: (before[k], after_target[k], after_source[k]) for k in before
                if after_target[k] != before[k] or after_source[k] != 0}
    lines = [f"merge of {count} enterprises, 3 orders ({before['allocations']} allocations, "
             f"{before['credentials']} credentials) into 200: {elapsed:.2f} s "
             f"(goal < {GOAL_SECONDS:.0f} s on SQLite: {'met' if elapsed < GOAL_SECONDS else 'MISSED'})",
             f"rows before = after for every kind: {'yes' if not lost else lost}"]
    return lines
