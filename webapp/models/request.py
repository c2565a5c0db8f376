"""Change requests (申请) and their audited lifecycle events."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.scoping import TenantOwned
from webapp.orm import utcnow

KIND_LABELS = {
    "tax_change_issue": "发票云开票产品使用企业名称&税号&税盘变更申请",
    "tax_change_receive": "金蝶发票云收票产品使用企业变更流程",
    "move_enterprise": "企业变更租户",
    "merge_tenant": "合并租户",
}
STATUS_LABELS = {
    "pending": "待审批",
    "rejected": "已驳回",
    "approved": "已通过",
    "executed": "已执行",
}


class ChangeRequest(TenantOwned, db.Model):
    __tablename__ = "change_request"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('tax_change_issue', 'tax_change_receive', 'move_enterprise', 'merge_tenant')",
            name="kind_known",
        ),
        CheckConstraint(
            "status IN ('pending', 'rejected', 'approved', 'executed')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    tax_id: Mapped[str | None] = mapped_column(String(20))
    new_tax_id: Mapped[str | None] = mapped_column(String(20))
    new_name: Mapped[str | None] = mapped_column(String(200))
    source_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    target_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    fee_cents: Mapped[int | None]
    fee_paid_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list["RequestEvent"]] = relationship(order_by="RequestEvent.id")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class RequestEvent(db.Model):
    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("change_request.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
