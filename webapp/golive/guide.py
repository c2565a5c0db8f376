"""Which order (and so which ERP) an enterprise's setup card follows, and which products it
holds (a 收票 address is for a tax ID that holds 收票, a 开票 one for 开票)."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Allocation, Order, OrderLine, Product
from webapp.models.allocation import ACTIVE


def order_for(enterprise_id: int) -> Order | None:
    """The latest activated order that allocated to the enterprise."""
    return db.session.scalar(
        select(Order).join(OrderLine, OrderLine.order_id == Order.id)
        .join(Allocation, Allocation.line_id == OrderLine.id)
        .where(Allocation.enterprise_id == enterprise_id, Order.activated_at.is_not(None))
        .order_by(Order.activated_at.desc(), Order.id.desc()).limit(1))


def product_codes(enterprise_id: int) -> set[str]:
    """The codes of the products the enterprise holds now (active allocations)."""
    return set(db.session.scalars(
        select(Product.code).join(OrderLine, OrderLine.product_id == Product.id)
        .join(Allocation, Allocation.line_id == OrderLine.id)
        .where(Allocation.enterprise_id == enterprise_id, Allocation.status == ACTIVE)))
