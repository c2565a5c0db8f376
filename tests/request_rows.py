"""Every kind of row a tenant holds, counted independently of the code under test (so a merge
or a move that drops a row fails), for the 智能审批 tests."""
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (Allocation, AllocationDraft, AuditEntry, ChangeRequest, Credential,
                           Enterprise, Order, OrderLine, OutboxEmail, ReminderSent, User)


def _n(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def tenant_rows(app, tenant_id: int, cutoff: tuple[int, int] | None = None) -> dict:
    """Every kind of row a tenant holds; with `cutoff` (last_ids()), only audit entries and
    emails that existed then, so what the execution itself writes is not counted."""
    with app.app_context():
        enterprises = select(Enterprise.id).where(Enterprise.tenant_id == tenant_id)
        orders = select(Order.id).where(Order.tenant_id == tenant_id)
        audit = select(AuditEntry.id).where(AuditEntry.tenant_id == tenant_id)
        emails = select(OutboxEmail.id).where(OutboxEmail.tenant_id == tenant_id)
        if cutoff is not None:
            audit = audit.where(AuditEntry.id <= cutoff[0])
            emails = emails.where(OutboxEmail.id <= cutoff[1])
        return {
            "orders": _n(orders),
            "lines": _n(select(OrderLine.id).where(OrderLine.order_id.in_(orders))),
            "enterprises": _n(enterprises),
            "allocations": _n(select(Allocation.id).where(Allocation.enterprise_id.in_(enterprises))),
            "credentials": _n(select(Credential.id).where(Credential.tenant_id == tenant_id,
                                                          Credential.enterprise_id.is_not(None))),
            "drafts": _n(select(AllocationDraft.id).where(
                AllocationDraft.enterprise_id.in_(enterprises))),
            "requests": _n(select(ChangeRequest.id).where(ChangeRequest.tenant_id == tenant_id)),
            "audit": _n(audit),
            "admins": _n(select(User.id).where(User.tenant_id == tenant_id)),
            "emails": _n(emails),
            "reminders": _n(select(ReminderSent.id).where(ReminderSent.tenant_id == tenant_id)),
        }


def last_ids(app) -> tuple[int, int]:
    """The newest audit entry and outbox email ids (a cutoff for tenant_rows)."""
    with app.app_context():
        return (db.session.scalar(select(func.max(AuditEntry.id))) or 0,
                db.session.scalar(select(func.max(OutboxEmail.id))) or 0)


def request_of(app, **where) -> ChangeRequest:
    with app.app_context():
        req = db.session.scalars(select(ChangeRequest).filter_by(**where)
                                 .order_by(ChangeRequest.id.desc())).first()
        db.session.expunge_all()
        return req


def filed_tax_change(app, client, admin, make_batch, database_url, *, kind: str, line_index: int,
                     name: str, tax_id: str, new_name: str, new_tax_id: str) -> dict:
    """A tax ID change filed by `admin` (signed in on `client`) for a new enterprise allocated on
    the order's line `line_index`: the request, its allocation id, and the app config a step
    worker process needs to reach the same database."""
    from fixtures.database import BASE_CONFIG

    _b, ids = make_batch(admin, line_index=line_index, names=[(name, tax_id)])
    with app.app_context():
        alloc = db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == ids[0]))
    response = client.post(f"/requests/tax/{alloc}", data={
        "kind": kind, "change_case": "wrong_tax_id", "new_name": new_name,
        "new_tax_id": new_tax_id, "reason": "税号填错", "action": "submit"})
    assert response.status_code == 303
    return {"request": request_of(app), "alloc": alloc,
            "config": {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                       "DATA_ENCRYPTION_KEY": app.config["DATA_ENCRYPTION_KEY"]}}


def step_worker(config: dict, email: str, password: str, url: str, data: dict, barrier,
                results) -> None:
    """Run in a separate PROCESS: sign in, wait for the others, post one request step."""
    from webapp import create_app

    app = create_app(config)
    client = app.test_client()
    try:
        client.post("/login", data={"email": email, "password": password})
        barrier.wait(timeout=60)
        results.put(("status", client.post(url, data=data).status_code))
    except Exception as exc:  # reported, so the test fails with the reason instead of hanging
        results.put(("error", repr(exc)))
    finally:
        with app.app_context():
            db.engine.dispose()
