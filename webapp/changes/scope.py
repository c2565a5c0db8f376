"""What a request moves, as SQL clauses: the preview counts them and execution updates them,
so both read the same definition of "everything of the enterprise / of the tenant"."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from webapp.models import (Allocation, AllocationDraft, AuditEntry, ChangeRequest, Credential,
                           Enterprise, Order, OrderLine, OutboxEmail, ReminderSent, User)
from webapp.models.credential import SCOPE_ENTERPRISE
from webapp.models.user import TENANT_ADMIN

# The kinds of row, in the order the preview shows them, with their UI labels.
LABELS = {
    "orders": _l("订单"),
    "lines": _l("订单行（权益）"),
    "enterprises": _l("企业"),
    "allocations": _l("分配"),
    "credentials": _l("授权信息"),
    "drafts": _l("未提交的勾选"),
    "requests": _l("申请"),
    "audit": _l("操作日志"),
    "admins": _l("租户管理员"),
    "emails": _l("邮件记录"),
    "reminders": _l("到期提醒记录"),
}


def enterprise_rows(enterprise_id: int, source_id: int, exclude_request: int | None) -> dict:
    """企业变更租户: model → WHERE clause of the rows that follow the enterprise: what is the
    enterprise's (its allocations, credentials, drafts). The requests and audit entries the
    source tenant made about it stay the source's history, readable by it alone."""
    return {
        "enterprises": (Enterprise, Enterprise.id == enterprise_id),
        "allocations": (Allocation, Allocation.enterprise_id == enterprise_id),
        "credentials": (Credential, Credential.enterprise_id == enterprise_id),
        "drafts": (AllocationDraft, AllocationDraft.enterprise_id == enterprise_id),
    }


def tenant_rows(source_id: int, exclude_request: int | None) -> dict:
    """合并租户: model → WHERE clause of everything the source tenant holds.

    The source's own 租户授权 stays with it (a tenant has one; the target keeps its own): it is
    marked 已停用, not moved, and the preview says so.
    """
    orders = select(Order.id).where(Order.tenant_id == source_id)
    enterprises = select(Enterprise.id).where(Enterprise.tenant_id == source_id)
    return {
        "orders": (Order, Order.tenant_id == source_id),
        "lines": (OrderLine, OrderLine.order_id.in_(orders)),
        "enterprises": (Enterprise, Enterprise.tenant_id == source_id),
        "allocations": (Allocation, Allocation.enterprise_id.in_(enterprises)),
        "credentials": (Credential, and_(Credential.tenant_id == source_id,
                                         Credential.scope == SCOPE_ENTERPRISE)),
        "drafts": (AllocationDraft, AllocationDraft.enterprise_id.in_(enterprises)),
        "requests": (ChangeRequest, and_(ChangeRequest.tenant_id == source_id,
                                         ChangeRequest.id != (exclude_request or 0))),
        "audit": (AuditEntry, AuditEntry.tenant_id == source_id),
        "admins": (User, and_(User.tenant_id == source_id, User.role == TENANT_ADMIN)),
        "emails": (OutboxEmail, OutboxEmail.tenant_id == source_id),
        "reminders": (ReminderSent, ReminderSent.tenant_id == source_id),
    }


# The column that says which tenant a row belongs to; rows without one (lines, allocations,
# drafts) follow their order or enterprise.
TENANT_COLUMN = {
    Order: Order.tenant_id, Enterprise: Enterprise.tenant_id, Credential: Credential.tenant_id,
    ChangeRequest: ChangeRequest.tenant_id, AuditEntry: AuditEntry.tenant_id,
    User: User.tenant_id, OutboxEmail: OutboxEmail.tenant_id, ReminderSent: ReminderSent.tenant_id,
}
