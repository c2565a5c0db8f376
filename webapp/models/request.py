"""Change requests (申请, 智能审批) and their audited lifecycle events.

Lifecycle: (待对方确认 →) 待审批 → 已驳回 | 已通过 → 已执行 | 执行失败 (retryable).
"""
from datetime import datetime

from flask_babel import format_currency
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text,
                        false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.scoping import TenantOwned
from webapp.orm import utcnow

TAX_ISSUE = "tax_change_issue"
TAX_RECEIVE = "tax_change_receive"
MOVE = "move_enterprise"
MERGE = "merge_tenant"
TAX_KINDS = (TAX_ISSUE, TAX_RECEIVE)
KIND_LABELS = {
    TAX_ISSUE: _l("发票云开票产品使用企业名称&税号&税盘变更申请"),
    TAX_RECEIVE: _l("金蝶发票云收票产品使用企业变更流程"),
    MOVE: _l("企业变更租户"),
    MERGE: _l("合并租户"),
}
AWAITING = "awaiting"
PENDING = "pending"
REJECTED = "rejected"
APPROVED = "approved"
EXECUTED = "executed"
FAILED = "failed"
STATUS_LABELS = {
    AWAITING: _l("待对方确认"),
    PENDING: _l("待审批"),
    REJECTED: _l("已驳回"),
    APPROVED: _l("已通过"),
    EXECUTED: _l("已执行"),
    FAILED: _l("执行失败"),
}
OPEN_STATUSES = (AWAITING, PENDING, APPROVED, FAILED)
CASE_LABELS = {
    "wrong_tax_id": _l("激活时税号填写错误，需调整为正确税号"),
    "deregistered": _l("原税号注销或无法继续使用，权益替换至关联公司税号"),
}
EVENT_LABELS = {
    "submitted": _l("提交申请"),
    "accepted": _l("对方确认"),
    "refused": _l("对方拒绝"),
    "approved": _l("审批通过"),
    "rejected": _l("审批驳回"),
    "paid": _l("标记已付款"),
    "executed": _l("执行成功"),
    "failed": _l("执行失败"),
}


class ChangeRequest(TenantOwned, db.Model):
    __tablename__ = "change_request"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('tax_change_issue', 'tax_change_receive', 'move_enterprise', 'merge_tenant')",
            name="kind_known",
        ),
        CheckConstraint(
            "status IN ('awaiting', 'pending', 'rejected', 'approved', 'executed', 'failed')",
            name="status_known",
        ),
        Index("ix_change_request_status_id", "status", "id"),  # the approver queue, oldest first
        # Consent is the other side's, and the approver is neither the filer nor the one who
        # accepted (0017).
        CheckConstraint("accepted_by_id IS NULL OR created_by_id IS NULL"
                        " OR accepted_by_id <> created_by_id", name="accepter_not_filer"),
        CheckConstraint("decided_by_id IS NULL OR ((created_by_id IS NULL"
                        " OR decided_by_id <> created_by_id)"
                        " AND (accepted_by_id IS NULL OR decided_by_id <> accepted_by_id))",
                        name="decider_independent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    # The tenant that filed (or that support filed for).
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"))
    tax_id: Mapped[str | None] = mapped_column(String(20))
    new_tax_id: Mapped[str | None] = mapped_column(String(20))
    new_name: Mapped[str | None] = mapped_column(String(200))
    new_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    change_case: Mapped[str | None] = mapped_column(String(20))
    new_info: Mapped[dict | None] = mapped_column(JSON)  # the new enterprise's 工商信息
    source_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    # 合并租户 filed with a name no tenant has: kept as typed, so the filer is answered exactly
    # as for an existing tenant (the form is no directory of tenants); nobody can accept it.
    other_name: Mapped[str | None] = mapped_column(String(200))
    target_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    preview: Mapped[dict | None] = mapped_column(JSON)
    preview_at_execution: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    restart_validity: Mapped[bool] = mapped_column(default=False, server_default=false())
    fee_cents: Mapped[int | None]
    fee_paid_at: Mapped[datetime | None]
    fee_paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    payment_ref: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Who accepted for the other side (its admin, or support with the tenant's written consent).
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accepted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    executed_at: Mapped[datetime | None]

    events: Mapped[list["RequestEvent"]] = relationship(order_by="RequestEvent.id")
    attachments: Mapped[list["RequestAttachment"]] = relationship(
        order_by="RequestAttachment.id", lazy="select")
    created_by = relationship("User", foreign_keys=[created_by_id])
    fee_paid_by = relationship("User", foreign_keys=[fee_paid_by_id])
    accepted_by = relationship("User", foreign_keys=[accepted_by_id])
    enterprise = relationship("Enterprise", foreign_keys=[enterprise_id])
    new_enterprise = relationship("Enterprise", foreign_keys=[new_enterprise_id])
    allocation = relationship("Allocation")
    tenant = relationship("Tenant", foreign_keys=[tenant_id])
    source_tenant = relationship("Tenant", foreign_keys=[source_tenant_id])
    target_tenant = relationship("Tenant", foreign_keys=[target_tenant_id])

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def case_label(self) -> str | None:
        label = CASE_LABELS.get(self.change_case or "")
        return None if label is None else str(label)

    @property
    def is_tax_change(self) -> bool:
        return self.kind in TAX_KINDS

    @property
    def is_paid_kind(self) -> bool:
        return self.kind == TAX_ISSUE

    @property
    def needs_other_side(self) -> bool:
        return self.kind in (MOVE, MERGE)

    @property
    def fee_label(self) -> str | None:
        if self.fee_cents is None:
            return None
        # In the reader's locale (¥500.00, CN¥500.00), as the `money` filter shows amounts.
        return format_currency(self.fee_cents / 100, "CNY")


class RequestEvent(db.Model):
    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("change_request.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")

    @property
    def action_label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")
FILING = "filing"
CONSENT = "consent"  # the tenant's written consent, attached by support accepting for it
PURPOSE_LABELS = {FILING: _l("附件"), CONSENT: _l("对方书面同意")}


class RequestAttachment(db.Model):
    """An optional PDF or image filed with a request, stored in the database."""

    __tablename__ = "request_attachment"
    __table_args__ = (
        CheckConstraint("content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
                        name="type_known"),
        CheckConstraint("purpose IN ('filing', 'consent')", name="purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("change_request.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    purpose: Mapped[str] = mapped_column(String(10), default=FILING, server_default=FILING)

    @property
    def purpose_label(self) -> str:
        return str(PURPOSE_LABELS[self.purpose])
