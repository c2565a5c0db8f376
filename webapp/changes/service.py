"""申请 (智能审批), the public face other features use: the 【联系售后】 lookup, filing a
企业变更租户 request, a tenant's list and its open count. The rules live in filing.py,
lifecycle.py, preview.py and execute.py."""
from flask_babel import gettext as _
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from webapp.changes import filing, lifecycle
from webapp.core import keyset
from webapp.core.errors import RateLimited
from webapp.core.ratelimit import FailureLimit, retry_minutes
from webapp.models import ChangeRequest, Enterprise, Tenant, User
from webapp.extensions import db
from webapp.models.request import APPROVED, AWAITING, FAILED, MERGE, MOVE, PENDING, TAX_ISSUE
from webapp.orm import utcnow

LIST_SIZE = 50


def count_lookup(tenant: Tenant, ip: str | None) -> None:
    """Count one look-up of who holds a tax ID, per tenant and per address; 429 past the limit
    (the page names another tenant, so it must not serve as a directory). Taken before the
    look-up, atomically per key (`FailureLimit.take`), so parallel look-ups cannot overtake it."""
    cfg = current_app.config
    limit = FailureLimit("move-lookup", cfg["MOVE_LOOKUP_LIMIT"], cfg["MOVE_LOOKUP_WINDOW"])
    if wait := limit.take(f"tenant:{tenant.id}", f"ip:{ip}"):
        raise RateLimited(_("查询过于频繁，请 %(minutes)s 分钟后再试。", minutes=retry_minutes(wait)),
                          field="tax_id")


movable = filing.movable  # (tenant, raw_tax_id) -> Enterprise; ServiceError otherwise


def pending_move(tenant: Tenant, tax_id: str) -> ChangeRequest | None:
    """This tenant's open 企业变更租户 request for `tax_id`, if any."""
    return filing.open_request(kind=MOVE, tenant_id=tenant.id, tax_id=tax_id)


def submit_move(tenant: Tenant, user: User, raw_tax_id: str, reason: str, *, upload=None,
                ip: str | None = None) -> ChangeRequest:
    """File a 企业变更租户 request into `tenant` (待对方确认 until the holder accepts)."""
    return filing.file_move(tenant, user, raw_tax_id, reason, upload=upload, ip=ip)


def awaiting_confirmation(tenant_id: int, limit: int = 20) -> list[ChangeRequest]:
    """Requests waiting for this tenant's 确认 (it is the other side of a move or a merge),
    oldest first: what the tenant home puts in front of its admin."""
    waiting = (select(ChangeRequest).where(
        ChangeRequest.status == AWAITING, ChangeRequest.kind.in_((MOVE, MERGE)),
        ChangeRequest.tenant_id != tenant_id,
        or_(ChangeRequest.source_tenant_id == tenant_id,
            ChangeRequest.target_tenant_id == tenant_id))
        .order_by(ChangeRequest.id).limit(limit))
    return list(db.session.scalars(waiting))


def approver_queue(limit: int = 20) -> list[ChangeRequest]:
    """待审批, oldest first (the approver home)."""
    return lifecycle.approver_queue(None, PENDING, size=limit)[0]


def awaiting_payment(limit: int = 20) -> list[ChangeRequest]:
    """已通过 开票 requests waiting for 标记已付款, oldest first (the approver home)."""
    return list(db.session.scalars(select(ChangeRequest).where(
        ChangeRequest.status == APPROVED, ChangeRequest.kind == TAX_ISSUE,
        ChangeRequest.fee_paid_at.is_(None)).order_by(ChangeRequest.id).limit(limit)))


STUCK_DAYS = 3


def stuck(limit: int = 20) -> list[ChangeRequest]:
    """For support: requests that failed, or that have waited in one state for STUCK_DAYS days
    (待对方确认, 待审批, 已通过 but unpaid), oldest first."""
    since = utcnow() - timedelta(days=STUCK_DAYS)
    query = select(ChangeRequest).where(or_(
        ChangeRequest.status == FAILED,
        and_(ChangeRequest.status.in_((AWAITING, PENDING, APPROVED)),
             func.coalesce(ChangeRequest.accepted_at, ChangeRequest.created_at) < since)))
    return list(db.session.scalars(query.order_by(ChangeRequest.id).limit(limit)))


def status_counts() -> dict[str, int]:
    """Requests per state, for the staff home."""
    return lifecycle.status_counts()


def _concerning(tenant_id: int):
    return or_(ChangeRequest.tenant_id == tenant_id, ChangeRequest.source_tenant_id == tenant_id,
               ChangeRequest.target_tenant_id == tenant_id)


def for_tenant(tenant_id: int, after: int | None = None, size: int = LIST_SIZE):
    """Requests concerning the tenant (filed by it or by the other side), newest first:
    [(request, 企业名称, 现租户, 新租户)] and the next cursor (one statement per page)."""
    source, target = aliased(Tenant), aliased(Tenant)
    query = (select(ChangeRequest, Enterprise.name, source.name, target.name)
             .outerjoin(Enterprise, Enterprise.id == ChangeRequest.enterprise_id)
             .outerjoin(source, source.id == ChangeRequest.source_tenant_id)
             .outerjoin(target, target.id == ChangeRequest.target_tenant_id)
             .where(_concerning(tenant_id)))
    found = keyset.page(query, [ChangeRequest.id], lambda r: r[0].id, after=after, size=size,
                        descending=True)
    return found.rows, found.next_key
