"""Which order (and so which ERP) an enterprise's setup card follows."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Allocation, Order, OrderLine


def order_for(enterprise_id: int) -> Order | None:
    """The latest activated order that allocated to the enterprise."""
    return db.session.scalar(
        select(Order).join(OrderLine, OrderLine.order_id == Order.id)
        .join(Allocation, Allocation.line_id == OrderLine.id)
        .where(Allocation.enterprise_id == enterprise_id, Order.activated_at.is_not(None))
        .order_by(Order.activated_at.desc(), Order.id.desc()).limit(1))
