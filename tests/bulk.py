"""Building tenants, orders, enterprises and allocations straight through the models (fast, in bulk).

Allocations are normally made by the allocation pages; these helpers keep OrderLine.allocated
equal to the number of allocation rows, as the allocation service does.
"""
from datetime import date, datetime, timezone

from factories import tax_id
from sqlalchemy import insert, select, update

from webapp.extensions import db
from webapp.models import Allocation, Enterprise, Order, OrderLine, Product, Tenant, User
from webapp.models.tenant import recount_enterprises


def tenant(name: str) -> int:
    t = Tenant(name=name)
    db.session.add(t)
    db.session.flush()
    return t.id


def order(tenant_id: int, order_no: str, lines: dict[str, tuple[int, date | None]]) -> dict[str, int]:
    """An activated order with lines {product code: (quantity, valid_until)}; returns line ids."""
    products = {p.code: p for p in db.session.scalars(select(Product))}
    o = Order(order_no=order_no, customer_name=f"客户 {order_no}", contact_email="c@example.com",
              tenant_id=tenant_id, delivered_at=datetime.now(timezone.utc),
              activated_at=datetime.now(timezone.utc))
    o.lines = [OrderLine(product=products[code], quantity=qty, valid_from=date(2026, 1, 1),
                         valid_until=until) for code, (qty, until) in lines.items()]
    db.session.add(o)
    db.session.flush()
    return {line.product.code: line.id for line in o.lines}


def enterprises(tenant_id: int, count: int, start: int = 0, name: str = "企业{:05d}") -> list[int]:
    """`count` enterprises named name.format(i); returns their ids in creation order."""
    rows = [{"tenant_id": tenant_id, "tax_id": tax_id(i), "name": name.format(i),
             "source": "manual", "created_at": datetime.now(timezone.utc)}
            for i in range(start, start + count)]
    db.session.execute(insert(Enterprise), rows)
    recount_enterprises([tenant_id])  # inserted in bulk, past the services that keep it
    ids = [tax_id(i) for i in range(start, start + count)]
    found = dict(tuple(r) for r in db.session.execute(
        select(Enterprise.tax_id, Enterprise.id).where(Enterprise.tenant_id == tenant_id)))
    return [found[t] for t in ids]


def allocate(line_id: int, enterprise_ids: list[int], at: datetime | None = None) -> None:
    at = at or datetime.now(timezone.utc)
    db.session.execute(insert(Allocation), [
        {"line_id": line_id, "enterprise_id": e, "allocated_at": at} for e in enterprise_ids])
    db.session.execute(update(OrderLine).where(OrderLine.id == line_id)
                       .values(allocated=OrderLine.allocated + len(enterprise_ids)))


def tenant_admin(tenant_id: int, email: str, password: str) -> int:
    user = User(email=email, role="tenant_admin", tenant_id=tenant_id)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user.id
