"""Allocations (entitlement × enterprise), the batches that committed them, and drafts."""
from datetime import date, datetime
from typing import Self

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, exists, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.enterprise import Enterprise
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


ACTIVE = "active"
REPLACED = "replaced"
STATUS_LABELS = {ACTIVE: _l("已分配"), REPLACED: _l("已替换")}


class Allocation(db.Model):
    """An entitlement held by an enterprise; a tax ID change keeps the old row as 已替换 history
    (`replaced_by`), so the line's allocated count counts active rows and replaced ones alike
    only once: the replacement takes no new quota."""

    __tablename__ = "allocation"
    __table_args__ = (
        UniqueConstraint("line_id", "enterprise_id"),
        CheckConstraint("status IN ('active', 'replaced')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_batch.id"), index=True)
    allocated_at: Mapped[datetime] = mapped_column(default=utcnow)
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE, server_default=ACTIVE)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"))
    # A restarted validity (tax ID change); None: the line's validity applies.
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]

    line = relationship("OrderLine")
    enterprise = relationship("Enterprise")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class AllocationDraft(db.Model):
    """A tick in 勾选税号分配使用组织 not yet committed; kept on the server across reloads."""

    __tablename__ = "allocation_draft"
    __table_args__ = (UniqueConstraint("line_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def is_active():
    """THE definition of an allocation that is held now (not 已替换 history): every page that
    lists allocated tax IDs or their products reads it, through this or `holds_active`."""
    return Allocation.status == ACTIVE


def holds_active(enterprise_id=None, *where):
    """EXISTS an active allocation of the enterprise (`Enterprise.id` unless an id or column is
    given), narrowed by `where`: "this tax ID holds an active allocation"."""
    ident = Enterprise.id if enterprise_id is None else enterprise_id
    return exists().where(Allocation.enterprise_id == ident, is_active(), *where)


def enterprise_holds_active(enterprise_id: int) -> bool:
    """Whether the tax ID still holds an active allocation (its credential stays usable)."""
    return bool(db.session.scalar(select(holds_active(enterprise_id))))


def allocated_enterprise(enterprise_id: int, tenant_id: int) -> Enterprise | None:
    """The tenant's enterprise if it holds at least one active allocation, else None (a 404)."""
    return db.session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id,
                                 Enterprise.tenant_id == tenant_id, holds_active()))
