"""Filing the four requests. A tenant admin files for its own tenant; a support agent for any
tenant (the caller passes the tenant). Each request stores the preview computed when it is
filed; a preview with problems (same tax ID, a third tenant's tax ID, another product…) is
refused and nothing is written."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.changes import attachments, notify, preview
from webapp.core import taxid
from webapp.models.business_fields import BUSINESS_FIELDS
from webapp.core.errors import Conflict, Invalid, NotFound, ServiceError
from webapp.core.text import free_text
from webapp.enterprises import service as enterprises
from webapp.extensions import db
from webapp.models import Allocation, ChangeRequest, Enterprise, Tenant, User
from webapp.models.allocation import ACTIVE
from webapp.models.request import (AWAITING, CASE_LABELS, MERGE, MOVE, OPEN_STATUSES, PENDING,
                                   TAX_KINDS)

REASON_MAX = 1000
MOVE_REASON = _l("请填写申请原因，例如：该企业已归属本集团，需要在本租户下分配权益。")


def _reason(text: str | None) -> str:
    return free_text(text, _("申请原因"), REASON_MAX, required=str(MOVE_REASON))


def open_request(**where) -> ChangeRequest | None:
    """An open (not ended) request matching `where` (column=value)."""
    query = select(ChangeRequest).where(ChangeRequest.status.in_(OPEN_STATUSES))
    for column, value in where.items():
        query = query.where(getattr(ChangeRequest, column) == value)
    return db.session.scalar(query.order_by(ChangeRequest.id).limit(1))


def draft(kind: str, actor: User, tenant: Tenant, **fields) -> tuple[ChangeRequest, dict]:
    """An unsaved request and its preview (what 【预览】 shows before submitting)."""
    req = ChangeRequest(kind=kind, tenant_id=tenant.id, created_by_id=actor.id, **fields)
    return req, preview.compute(req)


def _save(req: ChangeRequest, shown: dict, actor: User, ip: str | None) -> ChangeRequest:
    if shown["problems"]:
        raise ServiceError("；".join(shown["problems"]), field="preview")
    req.status = AWAITING if req.needs_other_side else PENDING
    req.preview = shown
    db.session.add(req)
    db.session.flush()
    notify.step(req, actor, "submitted", req.reason, ip=ip)
    return req


def movable(tenant: Tenant, raw_tax_id: str) -> Enterprise:
    """The enterprise another tenant holds under this tax ID; ServiceError otherwise."""
    holder = enterprises.holder_of(raw_tax_id)  # one stored under an older rule moves too
    if holder is None:
        tax_id = taxid.validate(raw_tax_id)
        raise ServiceError(_("企业【%(tax_id)s】尚未被任何租户绑定，请直接【新增企业】。", tax_id=tax_id),
                           field="tax_id")
    tax_id = holder.tax_id
    if holder.tenant_id == tenant.id:
        raise ServiceError(_("企业【%(tax_id)s】已在本租户下，无需申请。", tax_id=tax_id),
                           field="tax_id")
    return holder


def move_fields(tenant: Tenant, holder: Enterprise, reason: str | None) -> dict:
    return dict(enterprise_id=holder.id, tax_id=holder.tax_id, source_tenant_id=holder.tenant_id,
                target_tenant_id=tenant.id, reason=reason)


def file_move(tenant: Tenant, actor: User, raw_tax_id: str, reason: str | None, *,
              upload=None, ip: str | None = None) -> ChangeRequest:
    """企业变更租户 into `tenant`; the holder tenant accepts before approval (待对方确认), with an
    optional attachment (`upload`)."""
    holder = movable(tenant, raw_tax_id)
    text = _reason(reason)
    checked = attachments.check(upload)
    if open_request(kind=MOVE, tenant_id=tenant.id, tax_id=holder.tax_id) is not None:
        raise Conflict(_("您已提交过企业【%(tax_id)s】的变更租户申请，正在处理中，请勿重复提交。",
                         tax_id=holder.tax_id),
                           field="reason")
    req, shown = draft(MOVE, actor, tenant, **move_fields(tenant, holder, text))
    _save(req, shown, actor, ip)
    if checked:
        attachments.attach(req, checked, actor)
    return req


MERGE_DIRECTIONS = ("into_other", "into_mine")


def merge_other(tenant: Tenant, other_name: str | None, direction: str) -> tuple[Tenant | None, str]:
    """The other tenant of a merge filed by `tenant` (None when no active tenant has that exact
    name) and the name as typed. Nothing here tells the caller which: the form must not serve
    as a directory of tenants."""
    name = (other_name or "").strip()
    if not name:
        raise Invalid(_("请输入对方租户的完整名称"), field="other_tenant")
    if len(name) > 200:
        raise Invalid(_("租户名称不能超过 200 个字符"), field="other_tenant")
    if name == tenant.name:
        raise ServiceError(_("不能与本租户合并"), field="other_tenant")
    if direction not in MERGE_DIRECTIONS:
        raise ServiceError(_("请选择合并方向"), field="direction")
    return tenant_named(name), name


def merge_tenants(tenant: Tenant, other: Tenant | None, direction: str) -> tuple:
    """(source, target) of a merge filed by `tenant`: `into_other` merges it into the other."""
    return (tenant, other) if direction == "into_other" else (other, tenant)


def file_merge(tenant: Tenant, actor: User, other_name: str | None, direction: str,
               reason: str | None, *, upload=None, ip: str | None = None) -> ChangeRequest:
    """合并租户: everything of the source into the target; the other tenant accepts first.

    A name no active tenant has is filed all the same (kept in `other_name`; nobody can accept
    it, support may end it), so the filer is answered alike whether the tenant exists."""
    other, name = merge_other(tenant, other_name, direction)
    text = _reason(reason)
    checked = attachments.check(upload)
    source, target = merge_tenants(tenant, other, direction)
    if other is None:
        req = ChangeRequest(kind=MERGE, tenant_id=tenant.id, created_by_id=actor.id,
                            source_tenant_id=source and source.id,
                            target_tenant_id=target and target.id, other_name=name, reason=text)
        _save(req, preview.before_consent(MERGE), actor, ip)
    else:
        for a, b in ((source, target), (target, source)):
            if open_request(kind=MERGE, source_tenant_id=a.id, target_tenant_id=b.id):
                raise Conflict(_("这两个租户已有进行中的合并申请，请勿重复提交。"), field="reason")
        req, shown = draft(MERGE, actor, tenant, source_tenant_id=source.id,
                           target_tenant_id=target.id, reason=text)
        _save(req, shown, actor, ip)
    if checked:
        attachments.attach(req, checked, actor)
    return req


def active_allocation(tenant_id: int, allocation_id: int | None) -> Allocation | None:
    """An active allocation of one of the tenant's enterprises, else None."""
    if allocation_id is None:
        return None
    found = db.session.scalar(select(Allocation).join(Enterprise).where(
        Allocation.id == allocation_id, Enterprise.tenant_id == tenant_id))
    return found if found is not None and found.status == ACTIVE else None


NEW_FIELDS = {"name": "new_name", "tax_id": "new_tax_id"}


def tax_change_fields(allocation: Allocation, data) -> dict:
    """The checked fields of a tax ID change; InvalidEnterprise / ServiceError list problems."""
    kind = data.get("kind") or preview.kind_for_product(allocation.line.product.code)
    if kind not in TAX_KINDS:
        raise ServiceError(_("未知的申请表单"), field="kind")
    case = data.get("change_case")
    if case not in CASE_LABELS:
        raise ServiceError(_("请选择变更情况"), field="change_case")
    try:
        cleaned = enterprises.check({"name": data.get("new_name"), "tax_id": data.get("new_tax_id"),
                                     **{f.name: data.get(f.name) for f in BUSINESS_FIELDS}})
    except enterprises.InvalidEnterprise as exc:  # the form calls the new enterprise's fields new_…
        raise enterprises.InvalidEnterprise({NEW_FIELDS.get(k, k): v for k, v in exc.errors.items()}) from None
    text = free_text(data.get("reason"), _("申请原因"), REASON_MAX,
                     required=_("请填写变更原因"))
    old = allocation.enterprise
    holder = enterprises.find_holder(cleaned["tax_id"])
    if holder is not None and holder.tenant_id != old.tenant_id:
        # The preview tells that another tenant holds it: counted like every holder look-up.
        enterprises.count_holder_lookup(old.tenant, holder.tax_id)
    return dict(kind=kind, allocation_id=allocation.id, enterprise_id=old.id, tax_id=old.tax_id,
                new_tax_id=cleaned.pop("tax_id"), new_name=cleaned.pop("name"),
                new_info={k: v for k, v in cleaned.items() if v}, change_case=case,
                source_tenant_id=old.tenant_id, target_tenant_id=old.tenant_id, reason=text)


def file_tax_change(tenant: Tenant, actor: User, allocation_id: int | None, data, *,
                    upload=None, ip: str | None = None) -> ChangeRequest:
    """权益税号变更 of one allocation of `tenant` (开票: paid; 收票 and other products: free),
    with an optional attachment (`upload`, a PDF or an image)."""
    allocation = active_allocation(tenant.id, allocation_id)
    if allocation is None:
        raise NotFound(_("该分配不存在，或已被替换。"))
    fields = tax_change_fields(allocation, data)
    checked = attachments.check(upload)
    if open_request(allocation_id=allocation.id) is not None:
        raise Conflict(_("该分配已有进行中的变更申请，请勿重复提交。"), field="reason")
    kind = fields.pop("kind")
    req, shown = draft(kind, actor, tenant, **fields)
    _save(req, shown, actor, ip)
    if checked:
        attachments.attach(req, checked, actor)
    return req


def tenant_named(name: str) -> Tenant | None:
    """A tenant by its exact name, not merged into another (support files for it)."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    return tenant if tenant is not None and tenant.merged_into_id is None else None


def active_allocations(tenant_id: int, limit: int = 200) -> list[Allocation]:
    """The tenant's active allocations, by enterprise name (the first `limit`)."""
    return list(db.session.scalars(
        select(Allocation).join(Enterprise).where(Enterprise.tenant_id == tenant_id,
                                                  Allocation.status == ACTIVE)
        .order_by(Enterprise.name, Allocation.id).limit(limit)))
