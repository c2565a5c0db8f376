"""The draft behind 勾选税号分配使用组织: ticks kept on the server until 【下一步】 commits them.

The draft belongs to the order line (UNIQUE line × enterprise), so a reload, a second tab or a
colleague sees the same ticks. The quota is checked on every tick for the user's sake; the
database enforces it for real when the draft is allocated (batches.py).
"""
import base64
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, insert, select

from webapp.core import keyset
from webapp.core.i18n import N_
from webapp.core.errors import ServiceError
from webapp.core.ids import parse_id
from webapp.enterprises import search
from webapp.extensions import db
from webapp.models import Allocation, AllocationDraft, Enterprise, OrderLine, Product, User
from webapp.orm import utcnow

PAGE_SIZE = 50
# In the seed's words (tests compare it); shown translated.
QUOTA_USED_UP = N_("可分配数量已用完，无法继续勾选。如需分配给其他企业，请先取消已勾选的企业。")


@dataclass
class Row:
    """One enterprise in the panel, with its state for this line."""

    id: int
    name: str
    tax_id: str
    allocated_at: datetime | None
    drafted: bool

    @property
    def allocated(self) -> bool:
        return self.allocated_at is not None

    @property
    def checked(self) -> bool:
        return self.allocated or self.drafted


@dataclass
class Quota:
    """The counters: 已选 (drafted) and 可分配 (what is left after the draft)."""

    quantity: int
    allocated: int
    drafted: int

    @property
    def remaining(self) -> int:
        return max(self.quantity - self.allocated - self.drafted, 0)


@dataclass
class Page:
    rows: list[Row]
    q: str
    after: str
    next_cursor: str | None


class LineRef(NamedTuple):
    """The few columns of a locked line that ticking needs (no ORM object to build or expire)."""

    id: int
    order_id: int
    quantity: int
    allocated: int


@cache
def _lock_line_stmt():
    # Built once: the toggle endpoint is hot, and building a statement costs more than running it.
    return (OrderLine.select_activated(
                bindparam("tenant_id"), bindparam("order_id"), bindparam("line_id"),
                OrderLine.id, OrderLine.order_id, OrderLine.quantity, OrderLine.allocated)
            .with_for_update(key_share=True, of=OrderLine))


def lock_line(tenant_id: int, order_id: int, line_id: int) -> LineRef | None:
    """Lock an activated line of this tenant for a draft change (None: 404)."""
    return _lock_line(db.session.connection(),
                      {"line_id": line_id, "order_id": order_id, "tenant_id": tenant_id})


def _lock_line(conn, params: dict) -> LineRef | None:
    row = conn.execute(_lock_line_stmt(), params).first()
    return LineRef(*row) if row else None


class ProductRef(NamedTuple):
    name: str


class PanelLine(NamedTuple):
    """The line as the panel shows it, read as a Core row."""

    id: int
    order_id: int
    quantity: int
    allocated: int
    product: ProductRef


@cache
def _panel_stmts():
    # Built once, as the toggle's: building a statement costs more than running it here.
    drafted = (select(func.count()).select_from(AllocationDraft)
               .where(AllocationDraft.line_id == OrderLine.id).scalar_subquery())
    line = (OrderLine.select_activated(
                bindparam("tenant_id"), bindparam("order_id"), bindparam("line_id"),
                OrderLine.id, OrderLine.order_id, OrderLine.quantity, OrderLine.allocated,
                Product.name, drafted)
            .join(Product, Product.id == OrderLine.product_id))
    rows = keyset.statements(rows_query(bindparam("line_id"), bindparam("tenant_id")),
                             [Enterprise.name, Enterprise.id])
    return line, rows


def load_line_with_count(tenant_id: int, order_id: int, line_id: int):
    """(line, drafted count) in one statement, for read-only pages."""
    row = db.session.connection().execute(
        _panel_stmts()[0], {"tenant_id": tenant_id, "order_id": order_id, "line_id": line_id}
    ).first()
    if row is None:
        return None, 0
    return PanelLine(*row[:4], ProductRef(row[4])), row[5]


def drafted_count(line: OrderLine | LineRef) -> int:
    return db.session.scalar(select(func.count()).select_from(AllocationDraft)
                             .where(AllocationDraft.line_id == line.id))


def quota(line: OrderLine | LineRef, drafted: int) -> Quota:
    return Quota(line.quantity, line.allocated, drafted)


def encode_cursor(row: Row) -> str:
    raw = json.dumps([row.name, row.id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    """The (name, id) after which a page starts; anything unreadable means the first page."""
    if not cursor or len(cursor) > 1200:
        return None
    try:
        name, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(name, str) or parse_id(ident) is None or "\x00" in name:
        return None
    return name, ident


def rows_query(line_id, tenant_id):
    """Enterprises of a tenant with their state on a line (ids or bindparams)."""
    return (
        select(Enterprise.id, Enterprise.name, Enterprise.tax_id, Allocation.allocated_at,
               AllocationDraft.id.is_not(None))
        .outerjoin(Allocation, (Allocation.enterprise_id == Enterprise.id)
                   & (Allocation.line_id == line_id))
        .outerjoin(AllocationDraft, (AllocationDraft.enterprise_id == Enterprise.id)
                   & (AllocationDraft.line_id == line_id))
        .where(Enterprise.tenant_id == tenant_id)
    )


def panel_page(line: OrderLine | LineRef | PanelLine, tenant_id: int, q: str = "", after: str | None = None,
               size: int = PAGE_SIZE) -> Page:
    """One page of the tenant's enterprises for this line, keyset-paginated by (name, id)."""
    start = decode_cursor(after)
    if (matching := search.clause(q)) is not None:
        found = keyset.page(rows_query(line.id, tenant_id).where(matching),
                            [Enterprise.name, Enterprise.id], lambda r: encode_cursor(Row(*r)),
                            after=start, size=size)
        rows = [Row(*r) for r in found.rows]
    else:  # the prebuilt statements
        params = {"line_id": line.id, "tenant_id": tenant_id, "limit": size + 1}
        if start is not None:
            params.update(keyset.key_params(start))
        result = db.session.connection().execute(
            _panel_stmts()[1]["after" if start is not None else "first"], params)
        found = keyset.assemble([Row(*r) for r in result.all()], encode_cursor, size=size, after=start)
        rows = found.rows
    return Page(rows=rows, q=q, after=after if start else "", next_cursor=found.next_key)


def _rows_for(line_id: int, tenant_id: int, ids: list[int]) -> dict[int, Row]:
    if not ids:
        return {}
    result = db.session.execute(rows_query(line_id, tenant_id).where(Enterprise.id.in_(ids)))
    return {r[0]: Row(*r) for r in result}


def _insert_drafts(line_id: int, enterprise_ids: list[int], user: User | None) -> None:
    if enterprise_ids:
        db.session.execute(insert(AllocationDraft), [
            {"line_id": line_id, "enterprise_id": eid,
             "created_by_id": user.id if user else None} for eid in enterprise_ids])


def save_page(line: OrderLine | LineRef, tenant_id: int, page_ids: list[int], selected: set[int],
              user: User | None, select_all: bool = False) -> tuple[Quota, int]:
    """The no-JavaScript form: make the draft match the ticks on one page.

    With `select_all` (全选本页) every tickable row on the page is ticked as far as the quota
    allows. Returns the quota and how many ticks were refused for lack of quota.
    """
    if len(page_ids) > PAGE_SIZE * 4:
        raise ServiceError(_("一次提交的企业过多，请分页勾选"))
    rows = _rows_for(line.id, tenant_id, page_ids)
    tickable = [rows[i] for i in dict.fromkeys(page_ids) if i in rows and not rows[i].allocated]
    wanted = {r.id for r in tickable} if select_all else selected
    to_remove = [] if select_all else [r.id for r in tickable if r.drafted and r.id not in wanted]
    to_add = [r.id for r in tickable if not r.drafted and r.id in wanted]
    if to_remove:
        db.session.execute(delete(AllocationDraft).where(
            AllocationDraft.line_id == line.id, AllocationDraft.enterprise_id.in_(to_remove)))
    drafted = drafted_count(line)
    room = quota(line, drafted).remaining
    _insert_drafts(line.id, to_add[:room], user)
    db.session.flush()
    accepted = min(len(to_add), room)
    return quota(line, drafted + accepted), len(to_add) - accepted


def draft_rows(line: OrderLine, tenant_id: int, limit: int = 200) -> tuple[list[Row], int]:
    """What 【下一步】 will allocate: the first `limit` drafted enterprises and the total count."""
    query = rows_query(line.id, tenant_id).where(
        AllocationDraft.id.is_not(None), Allocation.id.is_(None))
    rows = [Row(*r) for r in db.session.execute(
        query.order_by(Enterprise.name, Enterprise.id).limit(limit))]
    total = drafted_count(line)
    return rows, total


# --- one tick (the htmx toggle): the hot path, on prebuilt Core statements ---
# Building a SQLAlchemy statement costs more than running it here, so each is built once.

@cache
def _toggle_stmts():
    count = (select(func.count()).select_from(AllocationDraft)
             .where(AllocationDraft.line_id == bindparam("line_id")).scalar_subquery())
    row = (rows_query(bindparam("line_id"), bindparam("tenant_id"))
           .add_columns(count).where(Enterprise.id == bindparam("enterprise_id")))
    drop = delete(AllocationDraft.__table__).where(
        AllocationDraft.line_id == bindparam("line_id"),
        AllocationDraft.enterprise_id == bindparam("enterprise_id"))
    return row, insert(AllocationDraft.__table__), drop


@dataclass
class Tick:
    """What one tick did: the row as it is now and the counters before and after."""

    line: LineRef
    row: Row
    before: Quota
    after: Quota
    refused: str | None = None  # the refusal message when the quota was used up

    @property
    def boxes_changed(self) -> bool:
        """Whether the other boxes' enabled state may have changed (the page of rows is redrawn)."""
        return self.refused is not None or self.before.remaining == 0 or self.after.remaining == 0


def toggle(tenant_id: int, order_id: int, line_id: int, enterprise_id: int, ticked: bool,
           user_id: int | None) -> Tick | None:
    """Tick or untick one enterprise; None when the line or the enterprise is not this tenant's.

    A tick past the quota changes nothing and comes back with the refusal message.
    """
    conn = db.session.connection()  # once: each session.connection() costs half a query here
    params = {"line_id": line_id, "order_id": order_id, "tenant_id": tenant_id,
              "enterprise_id": enterprise_id}
    # Lock first, read after: a read that waited for PostgreSQL's row lock would otherwise count
    # drafts from before the wait. On SQLite BEGIN IMMEDIATE already holds the write lock.
    line = _lock_line(conn, params)
    if line is None:
        return None
    row_stmt, add_stmt, drop_stmt = _toggle_stmts()
    found = conn.execute(row_stmt, params).first()
    if found is None:
        return None
    row, drafted = Row(*found[:5]), found[5]
    before = quota(line, drafted)
    if row.allocated or row.drafted == ticked:
        return Tick(line, row, before, before)
    if ticked:
        if before.remaining <= 0:
            return Tick(line, row, before, before, _(QUOTA_USED_UP))
        conn.execute(add_stmt, {"line_id": line_id, "enterprise_id": enterprise_id,
                                "created_by_id": user_id, "created_at": utcnow()})
        drafted += 1
    else:
        conn.execute(drop_stmt, {"line_id": line_id, "enterprise_id": enterprise_id})
        drafted -= 1
    row.drafted = ticked
    return Tick(line, row, before, quota(line, drafted))
