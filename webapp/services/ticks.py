"""One tick of 勾选税号分配使用组织 (the htmx toggle): the hot path, on prebuilt Core statements.

Building a SQLAlchemy statement costs more than running it here, so each is built once; the
line is locked (or, on SQLite, BEGIN IMMEDIATE holds the write lock) before the quota check.
"""
from functools import cache

from sqlalchemy import bindparam, delete, func, insert, select

from webapp.extensions import db
from webapp.models import Allocation, AllocationDraft, Enterprise, Order, OrderLine
from webapp.orm import utcnow
from webapp.services.drafts import QUOTA_USED_UP, LineRef, Row, rows_query, lock_line, quota


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


@cache
def _line_and_row_stmt():
    """SQLite only: line, draft count and the enterprise's row in one statement.

    SQLite's BEGIN IMMEDIATE already holds the write lock, so nothing can change between this
    read and the write. PostgreSQL locks the line first and reads after (a statement that waited
    for the lock would otherwise count drafts from before the wait).
    """
    ticks = AllocationDraft.__table__.alias("ticks")
    count = (select(func.count()).select_from(ticks).where(ticks.c.line_id == OrderLine.id)
             .correlate(OrderLine).scalar_subquery())
    return (
        select(OrderLine.id, OrderLine.order_id, OrderLine.quantity, OrderLine.allocated, count,
               Enterprise.id, Enterprise.name, Enterprise.tax_id, Allocation.allocated_at,
               AllocationDraft.id.is_not(None))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Enterprise, (Enterprise.id == bindparam("enterprise_id"))
                   & (Enterprise.tenant_id == bindparam("tenant_id")))
        .outerjoin(Allocation, (Allocation.enterprise_id == Enterprise.id)
                   & (Allocation.line_id == OrderLine.id))
        .outerjoin(AllocationDraft, (AllocationDraft.enterprise_id == Enterprise.id)
                   & (AllocationDraft.line_id == OrderLine.id))
        .where(OrderLine.id == bindparam("line_id"), OrderLine.order_id == bindparam("order_id"),
               Order.tenant_id == bindparam("tenant_id"), Order.activated_at.is_not(None))
    )


def _line_and_row(tenant_id: int, order_id: int, line_id: int, enterprise_id: int):
    """(line or None, row or None, drafted count) with the line locked against other ticks."""
    conn = db.session.connection()
    params = {"line_id": line_id, "order_id": order_id, "tenant_id": tenant_id,
              "enterprise_id": enterprise_id}
    if conn.dialect.name == "sqlite":
        found = conn.execute(_line_and_row_stmt(), params).first()
        if found is None:
            return None, None, 0
        row = Row(*found[5:]) if found[5] is not None else None
        return LineRef(*found[:4]), row, found[4]
    line = lock_line(tenant_id, order_id, line_id)
    if line is None:
        return None, None, 0
    found = conn.execute(_toggle_stmts()[0], params).first()
    return line, (Row(*found[:5]) if found else None), (found[5] if found else 0)


def toggle(tenant_id: int, order_id: int, line_id: int, enterprise_id: int, ticked: bool,
           user_id: int | None):
    """Tick or untick one enterprise.

    Returns (line, row, quota before, quota after, refusal message); line None means the line
    is not this tenant's, row None the enterprise. A tick past the quota changes nothing and
    comes back with the refusal message.
    """
    line, row, drafted = _line_and_row(tenant_id, order_id, line_id, enterprise_id)
    if line is None or row is None:
        return line, None, None, None, None
    _row_stmt, add_stmt, drop_stmt = _toggle_stmts()
    before = quota(line, drafted)
    if row.allocated or row.drafted == ticked:
        return line, row, before, before, None
    if ticked:
        if before.remaining <= 0:
            return line, row, before, before, QUOTA_USED_UP
        db.session.connection().execute(add_stmt, {
            "line_id": line.id, "enterprise_id": enterprise_id, "created_by_id": user_id,
            "created_at": utcnow()})
        drafted += 1
    else:
        db.session.connection().execute(drop_stmt, {"line_id": line.id,
                                                    "enterprise_id": enterprise_id})
        drafted -= 1
    row.drafted = ticked
    return line, row, before, quota(line, drafted), None
