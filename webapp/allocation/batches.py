"""分配权益: allocate a line's draft as one batch, and read back what was allocated.

The quota is the database's job: the line's row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite)
serialises commits of one line, a conditional UPDATE takes the quota only while
`allocated + n <= quantity`, and UNIQUE(line, enterprise) plus CHECK(allocated <= quantity)
stand behind both. The batch token makes a replayed or double-clicked submit allocate once.
"""
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from webapp.core import audit, keyset
from webapp.core.errors import Conflict, NotFound, ServiceError
from webapp.core.unit_of_work import add_unique
from webapp.credentials.emails import queue_authorization_email
from webapp.extensions import db
from webapp.models import (Allocation, AllocationBatch, AllocationDraft, Credential, Enterprise,
                           OrderLine, Product, User)
from webapp.models.allocation import STATUS_LABELS as ALLOCATION_STATUS_LABELS
from webapp.models.credential import PRODUCTION
from webapp.orm import utcnow

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
RESULTS_PAGE = 100


def new_token() -> str:
    """A fresh token for the confirm form (one per 【下一步】 page view)."""
    return secrets.token_urlsafe(24)


def find_batch(token: str) -> AllocationBatch | None:
    return db.session.scalar(select(AllocationBatch).where(AllocationBatch.token == token))


def latest_batch(line_id: int) -> AllocationBatch | None:
    """The line's most recent commit (what 确认分配 became, when its page is reopened)."""
    return db.session.scalar(select(AllocationBatch).where(AllocationBatch.line_id == line_id)
                             .order_by(AllocationBatch.id.desc()).limit(1))


def allocate(tenant_id: int, order_id: int, line_id: int, token: str, user: User,
             ip: str | None = None) -> tuple[AllocationBatch, bool]:
    """Allocate the whole draft of a line (【下一步】's 确认分配); returns (batch, created).

    created is False for a replayed token (nothing allocated again). Raises ServiceError for
    an empty draft (422) or too little quota left (409); nothing is written then.
    """
    if not TOKEN_RE.match(token or ""):
        raise ServiceError(_("表单已失效，请返回上一步重新点击【下一步】。"))
    # The lock comes first: it orders concurrent commits of this line, so a replay sees the
    # batch its twin committed, and the draft read below is the current one.
    line = OrderLine.activated_for_tenant(tenant_id, order_id, line_id, lock=True)
    if line is None:
        raise NotFound(_("订单不存在，或您无权操作。"))
    existing = find_batch(token)
    if existing is not None:
        if existing.line_id != line.id:
            raise ServiceError(_("表单已失效，请返回上一步重新点击【下一步】。"))
        return existing, False

    enterprise_rows = db.session.execute(
        select(Enterprise.id, Enterprise.tax_id, Enterprise.name)
        .join(AllocationDraft, AllocationDraft.enterprise_id == Enterprise.id)
        .outerjoin(Allocation, (Allocation.enterprise_id == Enterprise.id)
                   & (Allocation.line_id == line.id))
        .where(AllocationDraft.line_id == line.id, Enterprise.tenant_id == tenant_id,
               Allocation.id.is_(None))
        .order_by(Enterprise.name, Enterprise.id)
    ).all()
    n = len(enterprise_rows)
    if n == 0:
        raise ServiceError(_("请先勾选要分配的企业。"))
    taken = db.session.execute(
        update(OrderLine)
        .where(OrderLine.id == line.id, OrderLine.allocated + n <= OrderLine.quantity)
        .values(allocated=OrderLine.allocated + n)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        db.session.refresh(line)
        raise Conflict(
            _("可分配数量不足：本次勾选 %(n)s 家企业，当前仅可分配 %(available)s 家。"
              "请返回取消部分勾选。", n=n, available=line.quantity - line.allocated))

    batch = AllocationBatch(token=token, line_id=line.id, created_by_id=user.id)
    if not add_unique(batch):  # the same token committed meanwhile, past the line's lock
        raise Conflict(_("其他操作刚刚分配了部分企业，请核对后重试。"))
    now = utcnow()
    # Core executemany on the session's connection: no ORM bookkeeping for 5,000 rows.
    db.session.connection().execute(insert(Allocation.__table__), [
        {"line_id": line.id, "enterprise_id": eid, "batch_id": batch.id,
         "allocated_at": now, "allocated_by_id": user.id} for eid, _tax, _name in enterprise_rows])
    db.session.execute(delete(AllocationDraft).where(AllocationDraft.line_id == line.id))
    db.session.refresh(line)
    audit.record("allocation.commit", actor=user, tenant_id=tenant_id, target=batch, ip=ip,
                 order_id=order_id, line_id=line.id, product=line.product.name, count=n,
                 tax_ids=[tax for _eid, tax, _name in enterprise_rows])
    queue_authorization_email(line.order, batch)
    db.session.flush()
    return batch, True


@dataclass
class ResultRow:
    """One allocated enterprise as 查看已分配结果 shows it."""

    allocation_id: int
    enterprise_id: int
    name: str
    tax_id: str
    product: str
    allocated_at: datetime
    allocated_by: str | None
    client_id: str | None
    status: str = "active"  # 已替换 after a tax ID change
    enterprise_tenant_id: int | None = None  # another tenant's after 企业变更租户

    @property
    def status_label(self) -> str:
        return str(ALLOCATION_STATUS_LABELS.get(self.status, self.status))


def _results_query(order_id: int):
    return (
        select(Allocation.id, Enterprise.id, Enterprise.name, Enterprise.tax_id, Product.name,
               Allocation.allocated_at, User.email, Credential.client_id, Allocation.status,
               Enterprise.tenant_id)
        .join(Enterprise, Enterprise.id == Allocation.enterprise_id)
        .join(OrderLine, OrderLine.id == Allocation.line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(User, User.id == Allocation.allocated_by_id)
        .outerjoin(Credential, (Credential.enterprise_id == Enterprise.id)
                   & (Credential.environment == PRODUCTION))
        .where(OrderLine.order_id == order_id)
    )


def batch_results(batch: AllocationBatch) -> list[ResultRow]:
    """The enterprises one batch allocated (its 分配成功 page)."""
    rows = db.session.execute(
        _results_query(batch.line.order_id).where(Allocation.batch_id == batch.id)
        .order_by(Enterprise.name, Allocation.id))
    return [ResultRow(*r) for r in rows]


def order_results(order_id: int, after: int | None = None,
                  size: int = RESULTS_PAGE) -> tuple[list[ResultRow], int | None]:
    """Every allocation of an order, newest first, keyset-paginated by allocation id."""
    found = keyset.page(_results_query(order_id), [Allocation.id], lambda r: r[0], after=after,
                        size=size, descending=True)
    return [ResultRow(*r) for r in found.rows], found.next_key


def has_enterprises(tenant_id: int) -> bool:
    return db.session.scalar(
        select(Enterprise.id).where(Enterprise.tenant_id == tenant_id).limit(1)) is not None

