"""The outbox: emails written in the same transaction as the change that causes them."""
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.order import N_
from webapp.orm import utcnow

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
STATUS_LABELS = {PENDING: _l("待发送"), SENT: _l("已发送"), FAILED: _l("发送失败")}
# A pending email withdrawn before it went out (a resend made its key useless): stored as
# failed, so no sender picks it up, but shown as what it is.
VOID = "void"
VOID_LABEL = _l("已作废")
# Stored as the email's last_error (in the seed's words), shown translated (error_label).
SUPERSEDED = N_("已被新的激活邮件取代，未发送（其中的操作密钥已失效）")
KIND_LABELS = {
    "activation": _l("激活邮件"),
    "authorization": _l("授权邮件"),
    "reminder": _l("到期提醒"),
    "request": _l("申请通知"),
    "staff_password": _l("设置密码邮件"),
    "password_reset": _l("重设密码邮件"),
}


class OutboxEmail(db.Model):
    __tablename__ = "outbox_email"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
        Index("ix_outbox_email_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set when queued and sent with every attempt: a resend is recognisably the same message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    # Bodies can hold an 操作密钥 or credentials: encrypted, and cleared once delivered.
    text_enc: Mapped[str | None] = mapped_column(Text)
    html_enc: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    @property
    def is_void(self) -> bool:
        return self.status == FAILED and self.last_error == SUPERSEDED

    @property
    def state(self) -> str:
        """pending, sent, failed, or void (withdrawn, never sent): for display."""
        return VOID if self.is_void else self.status

    @property
    def status_label(self) -> str:
        return str(VOID_LABEL if self.is_void else STATUS_LABELS[self.status])

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def error_label(self) -> str | None:
        """last_error as shown: a withdrawn email's reason in the reader's language."""
        return gettext(SUPERSEDED) if self.is_void else self.last_error
