"""申请 filed by tenant admins. This issue records 企业变更租户 requests (move an enterprise
held by another tenant to this one); approving and executing them is a later issue."""
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from webapp.core import audit, keyset, taxid
from webapp.core.business_fields import CONTROL
from webapp.core.errors import Conflict, RateLimited, ServiceError
from webapp.core.ratelimit import FailureLimit, retry_minutes
from webapp.enterprises import service as enterprises
from webapp.extensions import db
from webapp.models import ChangeRequest, Enterprise, RequestEvent, Tenant, User

MOVE = "move_enterprise"
REASON_MAX = 1000
LIST_SIZE = 50


def count_lookup(tenant: Tenant, ip: str | None) -> None:
    """Count one look-up of who holds a tax ID, per tenant and per address; 429 past the limit
    (the page names another tenant, so it must not serve as a directory)."""
    cfg = current_app.config
    limit = FailureLimit("move-lookup", cfg["MOVE_LOOKUP_LIMIT"], cfg["MOVE_LOOKUP_WINDOW"])
    keys = (f"tenant:{tenant.id}", f"ip:{ip}")
    if wait := limit.blocked(*keys):
        raise RateLimited(f"查询过于频繁，请 {retry_minutes(wait)} 分钟后再试。", field="tax_id")
    limit.fail(*keys)


def movable(tenant: Tenant, raw_tax_id: str) -> Enterprise:
    """The enterprise another tenant holds under this tax ID; ServiceError otherwise."""
    tax_id = taxid.validate(raw_tax_id)
    holder = enterprises.find_holder(tax_id)
    if holder is None:
        raise ServiceError(f"企业【{tax_id}】尚未被任何租户绑定，请直接【新增企业】。", field="tax_id")
    if holder.tenant_id == tenant.id:
        raise ServiceError(f"企业【{tax_id}】已在本租户下，无需申请。", field="tax_id")
    return holder


def pending_move(tenant: Tenant, tax_id: str) -> ChangeRequest | None:
    return db.session.scalar(select(ChangeRequest).where(
        ChangeRequest.kind == MOVE, ChangeRequest.status == "pending",
        ChangeRequest.tenant_id == tenant.id, ChangeRequest.tax_id == tax_id))


def submit_move(tenant: Tenant, user: User, raw_tax_id: str, reason: str,
                ip: str | None = None) -> ChangeRequest:
    """Record a pending 企业变更租户 request, its first event and the audit entry."""
    holder = movable(tenant, raw_tax_id)
    reason_text, problem = _clean_reason(reason)
    if problem:
        raise ServiceError(problem, field="reason")
    if pending_move(tenant, holder.tax_id) is not None:
        raise Conflict(f"您已提交过企业【{holder.tax_id}】的变更租户申请，正在等待售后审批，请勿重复提交。",
                           field="reason")
    request = ChangeRequest(
        kind=MOVE, status="pending", tenant_id=tenant.id, enterprise_id=holder.id,
        tax_id=holder.tax_id, source_tenant_id=holder.tenant_id,
        target_tenant_id=tenant.id, reason=reason_text, created_by_id=user.id)
    db.session.add(request)
    db.session.flush()
    db.session.add(RequestEvent(request_id=request.id, actor_id=user.id, action="submitted",
                                comment=reason_text))
    audit.record("request.submitted", actor=user, tenant_id=tenant.id, target=request, ip=ip,
                 kind=MOVE, tax_id=holder.tax_id, source_tenant=holder.tenant.name,
                 target_tenant=tenant.name)
    return request


def _clean_reason(reason: str) -> tuple[str | None, str | None]:
    text = (reason or "").replace("\r\n", "\n").strip()
    if not text:
        return None, "请填写申请原因，例如：该企业已归属本集团，需要在本租户下分配权益。"
    if len(text) > REASON_MAX:
        return None, f"申请原因不能超过 {REASON_MAX} 个字符（当前 {len(text)} 个）"
    if CONTROL.search(text):
        return None, "申请原因含有不可见的控制字符，请删除后重试"
    return text, None


def for_tenant(tenant_id: int, after: int | None = None, size: int = LIST_SIZE):
    """The tenant's requests, newest first: [(request, 企业名称, 现租户, 新租户)] and the
    next cursor (one statement per page)."""
    source, target = aliased(Tenant), aliased(Tenant)
    query = (select(ChangeRequest, Enterprise.name, source.name, target.name)
             .outerjoin(Enterprise, Enterprise.id == ChangeRequest.enterprise_id)
             .outerjoin(source, source.id == ChangeRequest.source_tenant_id)
             .outerjoin(target, target.id == ChangeRequest.target_tenant_id)
             .where(ChangeRequest.tenant_id == tenant_id))
    found = keyset.page(query, [ChangeRequest.id], lambda r: r[0].id, after=after, size=size,
                        descending=True)
    return found.rows, found.next_key
