"""Who must do what next on a request: the side that must consent, and the next step in words
(the request page, the flash after each step and every email say it)."""
from flask_babel import gettext as _
from webapp.extensions import db
from webapp.models import ChangeRequest, Tenant
from webapp.models.request import APPROVED, AWAITING, FAILED, MOVE, PENDING


def other_side(req: ChangeRequest) -> int | None:
    """The tenant that did not file and must accept (企业变更租户, 合并租户)."""
    if not req.needs_other_side:
        return None
    return req.source_tenant_id if req.tenant_id == req.target_tenant_id else req.target_tenant_id


def other_name(req: ChangeRequest) -> str:
    """The name of the side that must consent (as typed, for a merge against an unknown name)."""
    side = other_side(req)
    tenant = db.session.get(Tenant, side) if side else None
    return tenant.name if tenant else (req.other_name or "")


def next_step(req: ChangeRequest) -> str:
    """Who must do what next, in words (the flash after each step and every email say it)."""
    if req.status == AWAITING:
        if req.kind == MOVE:
            return _("待现租户【%(name)s】确认：请现租户的管理员打开申请页面，点击【确认】或【拒绝】；"
                     "对方确认后由审批人审批。", name=other_name(req))
        return _("待对方租户【%(name)s】确认：请对方租户的管理员打开申请页面，点击【确认】或【拒绝】；"
                 "对方确认后由审批人审批。", name=other_name(req))
    if req.status == PENDING:
        if req.is_paid_kind:
            return _("待审批人审批：审批人确定费用并通过后，确认付款后执行。")
        return _("待审批人审批：审批通过后立即执行。")
    if req.status == APPROVED and req.is_paid_kind and req.fee_paid_at is None:
        return _("待付款：请按费用 %(fee)s 付款，审批人确认付款（标记已付款）后执行。", fee=req.fee_label)
    if req.status == APPROVED:
        return _("待执行。")
    if req.status == FAILED:
        return _("执行失败：待审批人处理后点击【重新执行】。")
    return _("申请已结束，无需再操作。")


