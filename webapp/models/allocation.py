"""Allocations (entitlement × enterprise), the batches that committed them, and drafts."""
from datetime import datetime
from typing import Self

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.order import Order, OrderLine
from webapp.orm import utcnow


class AllocationBatch(db.Model):
    """One 【下一步】 commit; its token makes a replayed submit allocate once."""

    __tablename__ = "allocation_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    line = relationship("OrderLine")

    @classmethod
    def get_for_tenant(cls, ident: int, tenant_id: int, order_id: int) -> Self | None:
        """A batch of this tenant's order, or None (404)."""
        return db.session.scalar(
            select(cls).join(OrderLine, OrderLine.id == cls.line_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(cls.id == ident, Order.id == order_id, Order.tenant_id == tenant_id))


class Allocation(db.Model):
    __tablename__ = "allocation"
    __table_args__ = (UniqueConstraint("line_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_batch.id"), index=True)
    allocated_at: Mapped[datetime] = mapped_column(default=utcnow)
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    line = relationship("OrderLine")
    enterprise = relationship("Enterprise")


class AllocationDraft(db.Model):
    """A tick in 勾选税号分配使用组织 not yet committed; kept on the server across reloads."""

    __tablename__ = "allocation_draft"
    __table_args__ = (UniqueConstraint("line_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
