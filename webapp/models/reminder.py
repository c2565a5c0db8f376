"""Expiry reminders already sent: one row per order line and threshold, so a rerun sends nothing twice."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.orm import utcnow


class ReminderSent(db.Model):
    __tablename__ = "reminder_sent"
    __table_args__ = (
        UniqueConstraint("line_id", "threshold"),
        CheckConstraint("threshold > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"))
    threshold: Mapped[int]
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    outbox_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_email.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
