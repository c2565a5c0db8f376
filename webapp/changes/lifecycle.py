"""The lifecycle of a request after filing: (待对方确认 →) 待审批 → 已驳回 | 已通过 → 已执行 |
执行失败 (retryable).

Every transition is a conditional UPDATE on the current state, so two people acting at once (or
a replayed form) change it once; the loser gets a 409 and nothing changes.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
import re

from flask import current_app
from sqlalchemy import func, select, update

from webapp.changes import attachments, execute, notify, preview, waiting
from webapp.core.errors import Conflict, Forbidden, ServiceError
from webapp.core.text import free_text
from webapp.extensions import db
from webapp.models import ChangeRequest, Tenant, User
from webapp.models.request import (APPROVED, AWAITING, CONSENT, FAILED, KIND_LABELS, PENDING,
                                   REJECTED, STATUS_LABELS, TAX_ISSUE)
from webapp.models.user import APPROVER, SUPPORT, TENANT_ADMIN
from webapp.orm import utcnow

COMMENT_MAX = 1000
PAYMENT_REF_MAX = 100
FEE_MAX_CENTS = 100_000_000  # ¥1,000,000


def visible_to(req: ChangeRequest, user: User) -> bool:
    """Staff see every request; a tenant admin only those its tenant is concerned by."""
    if user.is_staff:
        return True
    return user.role == TENANT_ADMIN and user.tenant_id in notify.tenants_concerned(req)


def visible(request_id: int, user: User) -> ChangeRequest | None:
    """The request if `user` may see it, else None (a 404: never a 403 that confirms it)."""
    req = db.session.get(ChangeRequest, request_id)
    return req if req is not None and visible_to(req, user) else None


other_side = waiting.other_side  # the tenant that must consent (move, merge), else None
other_name = waiting.other_name
next_step = waiting.next_step


def can_accept(req: ChangeRequest, user: User) -> bool:
    """The other tenant's admin, or support on its behalf (with its written consent)."""
    side = other_side(req)
    if req.status != AWAITING or req.created_by_id == user.id or side is None:
        return False  # the filer never accepts; a merge with an unknown name has nobody to
    return user.role == SUPPORT or (user.role == TENANT_ADMIN and user.tenant_id == side)


def can_refuse(req: ChangeRequest, user: User) -> bool:
    """Who may accept may refuse; support also ends a merge filed against an unknown name."""
    return can_accept(req, user) or (
        req.status == AWAITING and user.role == SUPPORT and req.needs_other_side
        and other_side(req) is None and req.created_by_id != user.id)


def can_approve(req: ChangeRequest, user: User) -> bool:
    """An approver who neither filed the request nor accepted it for the other side."""
    return user.role == APPROVER and user.id not in (req.created_by_id, req.accepted_by_id)


def _transition(req: ChangeRequest, from_states: tuple, to_state: str, **values) -> None:
    moved = db.session.execute(
        update(ChangeRequest).where(ChangeRequest.id == req.id,
                                    ChangeRequest.status.in_(from_states))
        .values(status=to_state, **values).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.refresh(req)
        raise Conflict(_("该申请已被处理（当前状态：%(status)s），请刷新页面。",
                         status=STATUS_LABELS[req.status]))
    db.session.refresh(req)


def _comment(text: str | None, *, required: str | None = None, field: str = "comment") -> str | None:
    return free_text(text, _("意见"), COMMENT_MAX, required=required, field=field)


CONSENT_REQUIRED = _l("客服代对方租户确认时，必须上传对方租户的书面同意（PDF 或图片）。")


def accept(req: ChangeRequest, actor: User, comment: str | None, *, consent=None,
           ip: str | None = None) -> None:
    """The other tenant (its admin, or support on its behalf) agrees: 待对方确认 → 待审批.

    Consent is the tenant's: support must attach the tenant's written consent (`consent`, an
    upload as `attachments.check` takes it); who accepted, and when, is kept on the request."""
    if not can_accept(req, actor):
        raise Forbidden(_("只有对方租户的管理员或客服可以确认该申请。"))
    text = _comment(comment)
    on_behalf = actor.role == SUPPORT
    checked = attachments.check(consent) if on_behalf else None
    if on_behalf and checked is None:
        raise ServiceError(CONSENT_REQUIRED, field="consent")
    _transition(req, (AWAITING,), PENDING, accepted_by_id=actor.id, accepted_at=utcnow())
    if checked:
        attachments.attach(req, checked, actor, purpose=CONSENT)
    side = db.session.get(Tenant, other_side(req))
    notify.step(req, actor, "accepted", text, ip=ip, on_behalf=on_behalf,
                for_tenant=side.name if side else None)


def refuse(req: ChangeRequest, actor: User, reason: str | None, *, ip: str | None = None) -> None:
    """The other tenant declines: 待对方确认 → 已驳回, with the reason."""
    if not can_refuse(req, actor):
        raise Forbidden(_("只有对方租户的管理员或客服可以拒绝该申请。"))
    text = _comment(reason, required=_("请填写拒绝原因"))
    _transition(req, (AWAITING,), REJECTED, decided_by_id=actor.id, decided_at=utcnow())
    notify.step(req, actor, "refused", text, ip=ip)


def _check_approver(req: ChangeRequest, actor: User) -> None:
    if actor.role != APPROVER:
        raise Forbidden(_("只有审批人可以审批申请。"))
    if req.created_by_id == actor.id:
        raise Forbidden(_("不能审批自己提交的申请。"))
    if req.accepted_by_id == actor.id:
        raise Forbidden(_("不能审批由您代对方确认的申请。"))


FEE_RE = re.compile(r"([0-9]{1,9})(?:\.([0-9]{1,2}))?")


def parse_fee(raw: str | None) -> int:
    """A fee in yuan (up to 2 decimals) as cents; the default from TAX_ID_CHANGE_FEE when empty."""
    text = (raw or "").strip()
    if not text:
        return int(current_app.config["TAX_ID_CHANGE_FEE"]) * 100
    amount = FEE_RE.fullmatch(text)
    if not amount:
        raise ServiceError(_("费用金额格式不正确，例如 500 或 500.00"), field="fee")
    whole, frac = amount.group(1), amount.group(2) or ""
    cents = int(whole) * 100 + int((frac + "00")[:2])
    if cents > FEE_MAX_CENTS:
        raise ServiceError(_("费用金额过大"), field="fee")
    return cents


def approve(req: ChangeRequest, actor: User, comment: str | None, *, fee: str | None = None,
            restart_validity: bool = False, ip: str | None = None) -> bool:
    """待审批 → 已通过, then executed at once when nothing is missing (a paid request waits
    for 已付款). Returns True when it was executed."""
    _check_approver(req, actor)
    text = _comment(comment)
    values = dict(decided_by_id=actor.id, decided_at=utcnow(),
                  restart_validity=bool(restart_validity) and req.is_tax_change)
    if req.is_paid_kind:  # the fee is fixed here, in the UPDATE that moves the state
        values["fee_cents"] = parse_fee(fee)
    _transition(req, (PENDING,), APPROVED, **values)
    notify.step(req, actor, "approved", text, ip=ip, fee_cents=req.fee_cents)
    if execute.executable(req):
        return execute.run(req, actor, ip=ip)
    return False


def reject(req: ChangeRequest, actor: User, comment: str | None, *, ip: str | None = None) -> None:
    _check_approver(req, actor)
    text = _comment(comment, required=_("请填写驳回意见"))
    _transition(req, (PENDING,), REJECTED, decided_by_id=actor.id, decided_at=utcnow())
    notify.step(req, actor, "rejected", text, ip=ip)


def can_mark_paid(req: ChangeRequest, user: User) -> bool:
    """标记已付款 is offered on an approved, unpaid 开票 request only (the fee is set by then)."""
    return (user.role == APPROVER and req.is_paid_kind and req.status == APPROVED
            and req.fee_paid_at is None)


def mark_paid(req: ChangeRequest, actor: User, payment_ref: str | None, *,
              ip: str | None = None) -> bool:
    """已付款 (who, when, the payment reference) of an approved 开票 request, which is then
    executed. One conditional UPDATE on (已通过, unpaid); the fee approved stays as it is."""
    if actor.role != APPROVER:
        raise Forbidden(_("只有审批人可以确认付款。"))
    if not req.is_paid_kind:
        raise Conflict(_("该申请无需付费。"))
    ref = free_text(payment_ref, _("付款凭证号"), PAYMENT_REF_MAX,
                    required=_("请填写付款凭证号（流水号）"),
                     field="payment_ref", multiline=False)
    moved = db.session.execute(
        update(ChangeRequest).where(ChangeRequest.id == req.id, ChangeRequest.kind == TAX_ISSUE,
                                    ChangeRequest.status == APPROVED,
                                    ChangeRequest.fee_paid_at.is_(None))
        .values(fee_paid_at=utcnow(), fee_paid_by_id=actor.id, payment_ref=ref)
        .execution_options(synchronize_session=False))
    db.session.refresh(req)
    if moved.rowcount != 1:
        if req.status in (AWAITING, PENDING):
            raise Conflict(_("该申请尚未审批通过：审批人确定费用并通过后，才能标记已付款。"))
        raise Conflict(_("该申请已确认付款或已结束（当前状态：%(status)s），请刷新页面。",
                         status=req.status_label))
    notify.step(req, actor, "paid", ref, ip=ip, payment_ref=ref, fee_cents=req.fee_cents)
    if execute.executable(req):
        return execute.run(req, actor, ip=ip)
    return False


def retry(req: ChangeRequest, actor: User, *, ip: str | None = None) -> bool:
    """Run a 执行失败 request again (approver); executes once whoever clicks."""
    if actor.role != APPROVER:
        raise Forbidden(_("只有审批人可以重新执行。"))
    if req.status != FAILED:
        raise Conflict(_("该申请当前状态为%(status)s，无需重新执行。", status=req.status_label))
    return execute.run(req, actor, ip=ip)


def consented(req: ChangeRequest) -> bool:
    """Whether the other side has agreed (a request that needs none has nothing to wait for)."""
    return not req.needs_other_side or any(e.action == "accepted" for e in req.events)


def sees_counts(req: ChangeRequest, user: User) -> bool:
    """Staff and the side that must consent see the preview's counts; the filer's tenant only
    once the other side has consented."""
    return (user.is_staff or consented(req)
            or (user.role == TENANT_ADMIN and user.tenant_id == other_side(req)))


def stored_and_current(req: ChangeRequest, user: User) -> tuple[dict | None, dict | None]:
    """The preview stored at filing, and the one computed now (open requests) or at execution,
    as `user` may see them."""
    if req.status in (AWAITING, PENDING, APPROVED, FAILED):
        stored, current = req.preview, preview.compute(req)
    else:
        stored, current = req.preview, req.preview_at_execution
    if not sees_counts(req, user):
        return preview.before_consent(req.kind), None
    return stored, current


QUEUE_SIZE = 50


def approver_queue(kind: str | None = None, status: str | None = PENDING,
                   after: int | None = None, size: int = QUEUE_SIZE):
    """Requests for approvers, oldest first, keyset by id; `kind`/`status` None means any."""
    query = select(ChangeRequest).order_by(ChangeRequest.id).limit(size + 1)
    if kind in KIND_LABELS:
        query = query.where(ChangeRequest.kind == kind)
    if status in STATUS_LABELS:
        query = query.where(ChangeRequest.status == status)
    if after is not None:
        query = query.where(ChangeRequest.id > after)
    rows = list(db.session.scalars(query))
    return rows[:size], (rows[size - 1].id if len(rows) > size else None)


def status_counts() -> dict[str, int]:
    """How many requests are in each state (the staff home and the queue's filter)."""
    found = dict(db.session.execute(
        select(ChangeRequest.status, func.count()).group_by(ChangeRequest.status)).all())
    return {status: found.get(status, 0) for status in STATUS_LABELS}
