"""Products, orders and order lines (entitlements)."""
from datetime import date, datetime

from typing import Self

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Select, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.scoping import TenantOwned
from webapp.orm import utcnow

ERP_CHOICES = [("xinghan", _l("星瀚")), ("xingkong", _l("星空")), ("eas", "EAS"),
               ("other", _l("其他"))]
DEPLOYMENT_CHOICES = [("public", _l("公有云")), ("private", _l("私有化部署"))]


def N_(name: str) -> str:
    """Marks a name kept in the database for the catalogues (`make messages`); `Product.label`
    translates it when shown."""
    return name


# The catalogue's products as migration 0001 creates them (ops may add more, shown as typed).
PRODUCT_NAMES = (N_("发票云开票"), N_("发票云收票"), N_("发票云影像"), N_("电子档案"))


class Product(db.Model):
    """A catalogue entry: 发票云开票 (issue), 发票云收票 (receive), … ; ops can add more."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sort: Mapped[int] = mapped_column(default=0)

    @property
    def label(self) -> str:
        """The name in the reader's language (a name the catalogues know), else as stored."""
        return gettext(self.name)


class Order(TenantOwned, db.Model):
    __tablename__ = "order"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    sales_person: Mapped[str | None] = mapped_column(String(100))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    delivered_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    erp: Mapped[str | None] = mapped_column(String(20))
    deployment: Mapped[str | None] = mapped_column(String(20))
    # Keyed hash (HMAC) of the 操作密钥; the key itself only ever travels in the email.
    key_hash: Mapped[str | None] = mapped_column(String(128))
    key_issued_at: Mapped[datetime | None]
    # Changes with every resend, so older activation links stop working.
    link_nonce: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tenant = relationship("Tenant")
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None

    @property
    def is_activated(self) -> bool:
        return self.activated_at is not None

    @property
    def erp_label(self) -> str | None:
        label = dict(ERP_CHOICES).get(self.erp)
        return None if label is None else str(label)

    @property
    def deployment_label(self) -> str | None:
        label = dict(DEPLOYMENT_CHOICES).get(self.deployment)
        return None if label is None else str(label)


class OrderLine(db.Model):
    """One entitlement: product × quantity × validity; `allocated` is the quota taken."""

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("allocated >= 0 AND allocated <= quantity", name="allocated_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    allocated: Mapped[int] = mapped_column(default=0)
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def available(self) -> int:
        return self.quantity - self.allocated

    @classmethod
    def activated_criteria(cls, tenant_id, order_id, line_id) -> tuple:
        """WHERE criteria for "this line of an activated order of this tenant" (ids or
        bindparams); the statement must join Order."""
        return (cls.id == line_id, cls.order_id == order_id, Order.tenant_id == tenant_id,
                Order.activated_at.is_not(None))

    @classmethod
    def select_activated(cls, tenant_id, order_id, line_id, *columns) -> Select:
        """SELECT `columns` (default: the line) of that line, joined to its order."""
        return (select(*(columns or (cls,))).select_from(cls)
                .join(Order, Order.id == cls.order_id)
                .where(*cls.activated_criteria(tenant_id, order_id, line_id)))

    @classmethod
    def activated_for_tenant(cls, tenant_id: int, order_id: int, line_id: int,
                             lock: bool = False) -> Self | None:
        """The line of an activated order of this tenant, or None (the view answers 404).

        `lock` takes the line's row lock (FOR NO KEY UPDATE on PostgreSQL; SQLite's BEGIN
        IMMEDIATE already serialises writers), so quota checks against it cannot interleave.
        """
        query = cls.select_activated(tenant_id, order_id, line_id)
        if lock:
            query = query.with_for_update(key_share=True, of=cls)
        return db.session.scalars(query).unique().first()
