"""租户权益查询: per-line numbers and statuses, per-enterprise holdings, staff tenant search.

Every function issues a fixed number of statements whatever the number of rows; the
enterprise list pages by keyset (name, id) and the CSV export streams in chunks.
"""
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, or_, select

from webapp.core import audit, keyset
from webapp.core.i18n import N_
from webapp.enterprises import search
from webapp.extensions import db
from webapp.models import Allocation, Enterprise, Order, OrderLine, Product, Tenant, User
from webapp.models.allocation import is_active
from webapp.orm import CST, in_ids

SOON_DAYS = 30
PAGE_SIZE = 50
TENANT_RESULTS = 50
# Statuses in the seed's words (compared, and written as data in the CSV export); shown
# translated.
ACTIVE, SOON, EXPIRED = N_("生效中"), N_("即将到期"), N_("已过期")
STATUS_CLASSES = {ACTIVE: "active", SOON: "soon", EXPIRED: "expired"}


def today() -> date:
    """Today in China Standard Time: validity dates are Chinese calendar days."""
    return datetime.now(CST).date()


def validity_status(valid_until: date | None, on: date) -> str:
    """生效中 / 即将到期 (within SOON_DAYS, the last day included) / 已过期; no end date = 生效中."""
    if valid_until is None:
        return ACTIVE
    if valid_until < on:
        return EXPIRED
    if (valid_until - on).days <= SOON_DAYS:
        return SOON
    return ACTIVE


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the per-enterprise view to (already validated by the form)."""

    q: str = ""
    product: str | None = None


@dataclass(slots=True)
class LineRow:
    line_id: int
    order_no: str
    product: str
    quantity: int
    allocated: int
    valid_from: date | None
    valid_until: date | None
    status: str

    @property
    def remaining(self) -> int:
        return self.quantity - self.allocated


@dataclass(slots=True)
class Holding:
    product: str
    order_no: str
    since: datetime
    valid_until: date | None
    status: str


@dataclass(slots=True)
class EnterpriseRow:
    id: int
    name: str
    tax_id: str
    holdings: list[Holding] = field(default_factory=list)


@dataclass
class EnterprisePage:
    rows: list[EnterpriseRow]
    next_after: int | None


def visible_tenant(tenant_id: int, user: User) -> Tenant | None:
    """The tenant whose entitlements `user` may query: any for staff, its own for an admin."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or (not user.is_staff and user.tenant_id != tenant.id):
        return None
    return tenant


# The unfiltered page's statements are built once from the same builders (with bound
# parameters): building and compiling a statement cost more than running it here.
@cache
def _prebuilt() -> dict:
    tenant_id = bindparam("tenant_id")
    return {"products": select(Product.code, Product.name).order_by(Product.sort, Product.id),
            "lines": _lines_statement(tenant_id, None),
            "first": _enterprises_statement(tenant_id, Filters())
                     .order_by(Enterprise.name, Enterprise.id).limit(bindparam("limit")),
            "holdings": _holdings_statement(None)}


def products() -> list:
    """The catalogue (code, name), for the product filter."""
    return db.session.connection().execute(_prebuilt()["products"]).all()


def _lines_statement(tenant_id, product: str | None):
    stmt = (
        select(OrderLine.id, Order.order_no, Product.name, OrderLine.quantity,
               OrderLine.allocated, OrderLine.valid_from, OrderLine.valid_until)
        .join(Order, OrderLine.order_id == Order.id)
        .join(Product, OrderLine.product_id == Product.id)
        .where(Order.tenant_id == tenant_id)
        .order_by(Order.id, Product.sort, OrderLine.id)
    )
    if product:
        stmt = stmt.where(Product.code == product)
    return stmt


def lines_for_tenant(tenant_id: int, product: str | None = None,
                     on: date | None = None) -> list[LineRow]:
    """Every order line of the tenant with 购买数量 / 已分配 / 剩余 / 有效期 / 状态 (one statement)."""
    on = on or today()
    if product:
        result = db.session.execute(_lines_statement(tenant_id, product))
    else:
        result = db.session.connection().execute(_prebuilt()["lines"], {"tenant_id": tenant_id})
    return [LineRow(*row, status=validity_status(row[6], on)) for row in result.all()]


def _enterprise_where(tenant_id: int, filters: Filters) -> list:
    where = [Enterprise.tenant_id == tenant_id]
    if (matching := search.clause(filters.q)) is not None:
        where.append(matching)
    if filters.product:
        where.append(exists(
            select(Allocation.id)
            .join(OrderLine, Allocation.line_id == OrderLine.id)
            .join(Product, OrderLine.product_id == Product.id)
            .where(Allocation.enterprise_id == Enterprise.id, Product.code == filters.product,
                   is_active())
        ))
    return where


def holding_valid_until():
    """An allocation's end of validity: its own when a tax ID change restarted it, else the
    line's (what every per-enterprise view and the export show)."""
    return func.coalesce(Allocation.valid_until, OrderLine.valid_until)


def enterprise_page(tenant_id: int, filters: Filters, after: int | None = None,
                    size: int = PAGE_SIZE, on: date | None = None) -> EnterprisePage:
    """One page of the tenant's enterprises ordered by (name, id), after the enterprise `after`.

    Two statements per page: the enterprises, then all their holdings at once.
    """
    on = on or today()
    plain = not filters.q and not filters.product  # page 1 unfiltered: the prebuilt statements
    if plain and after is None:
        found = keyset.assemble(db.session.connection().execute(
            _prebuilt()["first"], {"tenant_id": tenant_id, "limit": size + 1}).all(),
            lambda r: r.id, size=size)
    else:
        found = keyset.page(_enterprises_statement(tenant_id, filters),
                            [Enterprise.name, Enterprise.id], lambda r: r.id, size=size,
                            after=None if after is None else Enterprise.name_key(after, tenant_id))
    rows = {r[0]: EnterpriseRow(*r) for r in found.rows}  # (id, name, tax_id)
    if rows:
        if filters.product:
            result = db.session.execute(_holdings_statement(filters.product), {"ids": list(rows)})
        else:
            result = db.session.connection().execute(_prebuilt()["holdings"], {"ids": list(rows)})
        for ent_id, product, order_no, since, valid_until in result.all():
            rows[ent_id].holdings.append(
                Holding(product, order_no, since, valid_until, validity_status(valid_until, on)))
    return EnterprisePage(list(rows.values()), found.next_key)


def _enterprises_statement(tenant_id, filters: Filters):
    return (select(Enterprise.id, Enterprise.name, Enterprise.tax_id)
            .where(*_enterprise_where(tenant_id, filters)))


def _holdings_statement(product: str | None):
    """The holdings of the enterprises whose ids are bound as `ids`."""
    holdings = (
        select(Allocation.enterprise_id, Product.name, Order.order_no,
               Allocation.allocated_at, holding_valid_until())
        .join(OrderLine, Allocation.line_id == OrderLine.id)
        .join(Order, OrderLine.order_id == Order.id)
        .join(Product, OrderLine.product_id == Product.id)
        .where(in_ids(Allocation.enterprise_id, "ids"), is_active())
        .order_by(Allocation.enterprise_id, Product.sort, Allocation.allocated_at)
    )
    if product:
        holdings = holdings.where(Product.code == product)
    return holdings


def record_export(actor, tenant: Tenant, filters: Filters, ip: str | None = None) -> None:
    """Audit a CSV export: the tenant's data leaves the system, so who took it is kept."""
    narrowed = {k: v for k, v in (("q", filters.q), ("product", filters.product)) if v}
    audit.record("entitlements.exported", actor=actor, tenant_id=tenant.id, target=tenant, ip=ip,
                 **narrowed)


# The CSV header follows the reader's language (routes.export translates it); rows are data.
EXPORT_HEADER = (N_("企业名称"), N_("企业税号"), N_("产品"), N_("订单号"), N_("分配时间"),
                 N_("有效期至"), N_("状态"))


def export_rows(tenant_id: int, filters: Filters, chunk: int = 1000,
                on: date | None = None) -> Iterator[tuple]:
    """One row per allocation of the filtered per-enterprise view, fetched `chunk` rows at a time.

    `yield_per` makes PostgreSQL use a server-side cursor, so memory stays flat however many
    enterprises the tenant has; nothing here ever calls `.all()`.
    """
    on = on or today()
    stmt = (
        select(Enterprise.name, Enterprise.tax_id, Product.name, Order.order_no,
               Allocation.allocated_at, holding_valid_until())
        .select_from(Allocation)
        .join(Enterprise, Allocation.enterprise_id == Enterprise.id)
        .join(OrderLine, Allocation.line_id == OrderLine.id)
        .join(Order, OrderLine.order_id == Order.id)
        .join(Product, OrderLine.product_id == Product.id)
        .where(*_enterprise_where(tenant_id, Filters(q=filters.q)),
               is_active())  # a replaced (已替换) one is history
        .order_by(Enterprise.name, Enterprise.id, Product.sort, Allocation.id)
        .execution_options(yield_per=chunk)
    )
    if filters.product:
        stmt = stmt.where(Product.code == filters.product)
    result = db.session.execute(stmt)
    for partition in result.partitions():
        for name, tax_id, product, order_no, since, valid_until in partition:
            yield (name, tax_id, product, order_no,  # i18n: data (rows as stored)
                   since.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
                   valid_until.isoformat() if valid_until else "长期",
                   validity_status(valid_until, on))


@dataclass
class TenantMatch:
    id: int
    name: str
    matched: str


def find_tenants(q: str, limit: int = TENANT_RESULTS) -> tuple[list[TenantMatch], bool]:
    """Tenants whose name, or one of whose enterprises' name or tax ID, matches `q` (staff).

    Returns (matches ordered by tenant name, whether more exist than `limit`).
    """
    q = search.normalise(q)
    if not q:
        return [], False
    by_enterprise = select(Enterprise.tenant_id).where(search.clause(q))
    stmt = (select(Tenant.id, Tenant.name,
                   func.lower(Tenant.name).contains(q.lower(), autoescape=True).label("by_name"))
            .where(or_(func.lower(Tenant.name).contains(q.lower(), autoescape=True),
                       Tenant.id.in_(by_enterprise)))
            .order_by(Tenant.name, Tenant.id).limit(limit + 1))
    found = db.session.execute(stmt).all()
    matches = [TenantMatch(r.id, r.name, _("租户名称") if r.by_name else _("企业名称或税号"))
               for r in found[:limit]]
    return matches, len(found) > limit
