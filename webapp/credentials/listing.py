"""The 企业授权 list: enterprises that hold at least one active allocation (the one definition
in models/allocation.py), searchable, keyset-paginated.

A page costs a constant number of statements whatever the tenant's size: the page
(enterprises left-joined to their credentials of both environments, the cursor's name read
inside it) and the products of the page's enterprises.
"""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased

from webapp.core import keyset
from webapp.enterprises import search
from webapp.extensions import db
from webapp.models import Allocation, Credential, Enterprise, OrderLine, Product
from webapp.models.allocation import holds_active, is_active
from webapp.models.credential import PRODUCTION, TEST

PAGE_SIZE = 20


@dataclass
class EnterpriseRow:
    enterprise: Enterprise
    credential: Credential | None  # 正式环境
    test_credential: Credential | None  # 测试环境
    products: list[str] = field(default_factory=list)

    @property
    def credentials(self) -> list[tuple[str, Credential | None]]:
        """Both environments, in the order pages show them (测试环境 first)."""
        return [(TEST, self.test_credential), (PRODUCTION, self.credential)]


@dataclass
class EnterprisePage:
    rows: list[EnterpriseRow]
    next_after: int | None
    q: str


def normalise_query(q: str | None) -> str:
    return search.normalise(q)


def enterprise_page(tenant_id: int, q: str | None = None, after: int | None = None,
                    size: int = PAGE_SIZE) -> EnterprisePage:
    """One page of the tenant's allocated enterprises, ordered by name then id, after `after`."""
    q = normalise_query(q)
    production, test = aliased(Credential), aliased(Credential)
    query = (select(Enterprise, production, test)
             .outerjoin(production, (production.enterprise_id == Enterprise.id)
                        & (production.environment == PRODUCTION))
             .outerjoin(test, (test.enterprise_id == Enterprise.id) & (test.environment == TEST))
             .where(Enterprise.tenant_id == tenant_id, holds_active()))
    if (matching := search.clause(q)) is not None:
        query = query.where(matching)
    found = keyset.page(query, [Enterprise.name, Enterprise.id], lambda r: r[0].id,
                        after=after and Enterprise.name_key(after, tenant_id), size=size)
    rows = [EnterpriseRow(e, c, t) for e, c, t in found.rows]
    if rows:
        by_id = {row.enterprise.id: row for row in rows}
        products = db.session.execute(
            select(Allocation.enterprise_id, Product.name)
            .join(OrderLine, OrderLine.id == Allocation.line_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(Allocation.enterprise_id.in_(by_id), is_active())
            .order_by(Product.sort, Product.name)).all()
        for enterprise_id, name in products:
            if name not in by_id[enterprise_id].products:
                by_id[enterprise_id].products.append(name)
    return EnterprisePage(rows=rows, next_after=found.next_key, q=q)
