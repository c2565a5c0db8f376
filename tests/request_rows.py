"""Every kind of row a tenant holds, counted independently of the code under test (so a merge
or a move that drops a row fails), for the 智能审批 tests."""
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (Allocation, AllocationDraft, AuditEntry, ChangeRequest, Credential,
                           Enterprise, Order, OrderLine, OutboxEmail, ReminderSent, User)


def _n(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def tenant_rows(app, tenant_id: int, audit_up_to: int | None = None) -> dict:
    """Every kind of row a tenant holds (audit rows up to an id, so new entries don't count)."""
    with app.app_context():
        enterprises = select(Enterprise.id).where(Enterprise.tenant_id == tenant_id)
        orders = select(Order.id).where(Order.tenant_id == tenant_id)
        audit = select(AuditEntry.id).where(AuditEntry.tenant_id == tenant_id)
        if audit_up_to is not None:
            audit = audit.where(AuditEntry.id <= audit_up_to)
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
            "emails": _n(select(OutboxEmail.id).where(OutboxEmail.tenant_id == tenant_id)),
            "reminders": _n(select(ReminderSent.id).where(ReminderSent.tenant_id == tenant_id)),
        }


def last_audit_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def request_of(app, **where) -> ChangeRequest:
    with app.app_context():
        req = db.session.scalars(select(ChangeRequest).filter_by(**where)
                                 .order_by(ChangeRequest.id.desc())).first()
        db.session.expunge_all()
        return req
