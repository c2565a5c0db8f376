"""Helpers for the allocation tests: enterprises made directly, and reading the panel."""
import re

from sqlalchemy import insert

from webapp.extensions import db
from webapp.models import Enterprise
from webapp.services.taxid import check_character


def tax_id(n: int, prefix: str = "91320500") -> str:
    """A valid 18-character unified social credit code, distinct for each n."""
    first17 = f"{prefix}{n:09d}"
    return first17 + check_character(first17)


def add_enterprises(app, tenant_id: int, count: int, start: int = 0, name="企业") -> list[int]:
    """Insert `count` enterprises for a tenant (bulk); returns their ids in name order."""
    with app.app_context():
        rows = [{"tenant_id": tenant_id, "tax_id": tax_id(start + i + tenant_id * 100_000),
                 "name": f"{name}{start + i:05d}有限公司", "source": "manual"}
                for i in range(count)]
        db.session.execute(insert(Enterprise), rows)
        db.session.commit()
        return list(db.session.scalars(
            db.select(Enterprise.id).where(Enterprise.tenant_id == tenant_id)
            .order_by(Enterprise.name, Enterprise.id)))


def first_line(app, order_id: int, code: str = "issue") -> int:
    from webapp.models import OrderLine, Product

    with app.app_context():
        return db.session.scalar(db.select(OrderLine.id).join(Product).where(
            OrderLine.order_id == order_id, Product.code == code))


def counters(html: str) -> tuple[int, int]:
    """(已选, 可分配) as the panel shows them."""
    selected = re.search(r'id="alloc-selected">(\d+)<', html).group(1)
    available = re.search(r'id="alloc-available">(\d+)<', html).group(1)
    return int(selected), int(available)


def row_html(html: str, enterprise_id: int) -> str:
    match = re.search(rf'<tr id="ent-{enterprise_id}"[\s\S]*?</tr>', html)
    assert match, f"row {enterprise_id} not in the page"
    return match.group(0)
