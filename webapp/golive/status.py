"""Go-live status per tax ID (已分配 → 授权邮件已发送 → 连接已验证, or the last failure) and the
tenant overview. Every function costs a constant number of statements, whatever the row count.

Going live is the 正式环境's connection check; a 测试环境 check is shown beside it
(`test_verified_at`), as the step before."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.entitlements import service as entitlements
from webapp.extensions import db
from webapp.models import (Allocation, ChangeRequest, ConnectionCheck, Credential, Enterprise,
                           Order, OrderLine, OutboxEmail, Product)
from webapp.models.allocation import holds_active
from webapp.models.credential import ENVIRONMENT_LABELS, PRODUCTION, TEST

ALLOCATED, EMAILED, VERIFIED = "allocated", "emailed", "verified"
STEP_LABELS = {ALLOCATED: _l("已分配"), EMAILED: _l("授权邮件已发送"), VERIFIED: _l("连接已验证")}
STEPS = [ALLOCATED, EMAILED, VERIFIED]
FINISHED_REQUESTS = ("rejected", "executed")
UNVERIFIED_SHOWN = 10


@dataclass
class GoLive:
    step: str = ALLOCATED
    verified_at: datetime | None = None
    verified_ip: str | None = None
    failed_at: datetime | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    failure_ip: str | None = None
    failure_environment: str | None = None
    test_verified_at: datetime | None = None

    @property
    def failure_environment_label(self) -> str:
        return str(ENVIRONMENT_LABELS.get(self.failure_environment, ""))

    @property
    def label(self) -> str:
        return STEP_LABELS[self.step]

    @property
    def failure_is_latest(self) -> bool:
        """A failure after the verification (or with none) is worth showing next to the step."""
        return self.failed_at is not None and (self.verified_at is None
                                               or self.failed_at > self.verified_at)


def for_enterprises(enterprise_ids) -> dict[int, GoLive]:
    """The go-live status of each enterprise (tax ID) in `enterprise_ids`: two statements."""
    ids = list(enterprise_ids)
    found = {i: GoLive() for i in ids}
    if not ids:
        return found
    emailed = db.session.scalars(
        select(Allocation.enterprise_id).distinct()
        .join(OrderLine, OrderLine.id == Allocation.line_id)
        .join(OutboxEmail, (OutboxEmail.order_id == OrderLine.order_id)
              & (OutboxEmail.kind == "authorization") & (OutboxEmail.status == "sent")
              & (OutboxEmail.created_at >= Allocation.allocated_at))
        .where(Allocation.enterprise_id.in_(ids)))
    for enterprise_id in emailed:
        found[enterprise_id].step = EMAILED
    checks = db.session.execute(
        select(Credential.enterprise_id, Credential.environment, ConnectionCheck)
        .join(ConnectionCheck, ConnectionCheck.credential_id == Credential.id)
        .where(Credential.enterprise_id.in_(ids)))
    for enterprise_id, environment, check in checks:
        status = found[enterprise_id]
        if check.failed_at and (status.failed_at is None or check.failed_at > status.failed_at):
            status.failed_at, status.failure_code = check.failed_at, check.failure_code
            status.failure_message, status.failure_ip = check.failure_message, check.failure_ip
            status.failure_environment = environment
        if environment == TEST:
            status.test_verified_at = check.verified_at
            continue
        status.verified_at, status.verified_ip = check.verified_at, check.verified_ip
        if check.verified_at:
            status.step = VERIFIED
    return found


def _verified():
    return exists().where(Credential.enterprise_id == Enterprise.id,
                          Credential.environment == PRODUCTION,
                          ConnectionCheck.credential_id == Credential.id,
                          ConnectionCheck.verified_at.is_not(None))


def _allocated():
    return holds_active()  # the one definition (models/allocation.py)


@dataclass
class ProductBar:
    name: str
    quantity: int
    allocated: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.allocated / self.quantity)) if self.quantity else 0


@dataclass
class Overview:
    bars: list[ProductBar]
    expiring: list
    unverified: list[tuple[Enterprise, GoLive]]
    unverified_count: int
    verified_count: int
    open_requests: int
    next_step: tuple[str, str | None]  # (text, endpoint)
    first_order_id: int | None


def overview(tenant_id: int, on: date | None = None) -> Overview:
    """The tenant home: per product 已分配 / 购买数量, lines expiring within 30 days, enterprises
    not yet verified, open requests and the next step to take."""
    on = on or entitlements.today()
    activated = (Order.tenant_id == tenant_id) & Order.activated_at.is_not(None)
    bars = [ProductBar(*row) for row in db.session.execute(
        select(Product.name, func.sum(OrderLine.quantity), func.sum(OrderLine.allocated))
        .join(OrderLine, OrderLine.product_id == Product.id)
        .join(Order, Order.id == OrderLine.order_id).where(activated)
        .group_by(Product.id, Product.name, Product.sort).order_by(Product.sort, Product.name))]
    expiring = db.session.execute(
        select(Order.order_no, Product.name.label("product"), OrderLine.quantity,
               OrderLine.allocated, OrderLine.valid_until)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(activated, OrderLine.valid_until >= on,
               OrderLine.valid_until <= on + timedelta(days=entitlements.SOON_DAYS))
        .order_by(OrderLine.valid_until, Order.order_no).limit(20)).all()
    mine = (Enterprise.tenant_id == tenant_id) & _allocated()
    verified_count, unverified_count = db.session.execute(select(
        func.count().filter(_verified()), func.count().filter(~_verified()))
        .select_from(Enterprise).where(mine)).one()
    waiting = db.session.scalars(select(Enterprise).where(mine, ~_verified())
                                 .order_by(Enterprise.name, Enterprise.id).limit(UNVERIFIED_SHOWN)).all()
    statuses = for_enterprises(e.id for e in waiting)
    concerning = ((ChangeRequest.tenant_id == tenant_id) | (ChangeRequest.source_tenant_id == tenant_id)
                  | (ChangeRequest.target_tenant_id == tenant_id))  # filed by it or by the other side
    open_requests = db.session.scalar(select(func.count()).select_from(ChangeRequest).where(
        concerning, ChangeRequest.status.notin_(FINISHED_REQUESTS)))
    first_order_id = db.session.scalar(select(Order.id).where(activated).order_by(Order.id.desc())
                                       .limit(1))
    free = sum(b.quantity - b.allocated for b in bars)
    if first_order_id is None:
        step = (_("打开激活邮件中的链接，输入操作密钥完成产品激活。"), None)
    elif not verified_count and not unverified_count:
        step = (_("新增需授权的企业并分配权益：点击【去配置】。"), "main.configure")
    elif unverified_count:
        step = (_("还有 %(unverified_count)s 家企业尚未验证连接：在 ERP 中填写企业授权后运行连接检查，"
                  "见【授权信息】中的接入指引。",
                  unverified_count=unverified_count), "credentials.index")
    elif free:
        step = (_("所有已分配企业的连接已验证；还有 %(free)s 个权益可分配。", free=free), "main.configure")
    else:
        step = (_("所有已分配企业的连接已验证，可以正式上线。"), None)
    return Overview(bars=bars, expiring=expiring,
                    unverified=[(e, statuses[e.id]) for e in waiting],
                    unverified_count=unverified_count, verified_count=verified_count,
                    open_requests=open_requests, next_step=step, first_order_id=first_order_id)


def order_statuses(order_id: int, limit: int = 50) -> tuple[dict[str, int], list, list]:
    """For support: counts per step of the order's enterprises, the first `limit` of them with
    their status, and the last connection failures of the order's tenant."""
    of_order = holds_active(None, Allocation.line_id == OrderLine.id,
                            OrderLine.order_id == order_id)
    enterprises = db.session.scalars(select(Enterprise).where(of_order)
                                     .order_by(Enterprise.name, Enterprise.id).limit(limit)).all()
    statuses = for_enterprises(e.id for e in enterprises)
    verified, total = db.session.execute(select(
        func.count().filter(_verified()), func.count()).select_from(Enterprise)
        .where(of_order)).one()
    failures = db.session.execute(
        select(Enterprise.name, Enterprise.tax_id, Credential.client_id, Credential.scope,
               Credential.environment,
               ConnectionCheck.failed_at, ConnectionCheck.failure_code,
               ConnectionCheck.failure_message, ConnectionCheck.failure_ip)
        .select_from(ConnectionCheck)
        .join(Credential, Credential.id == ConnectionCheck.credential_id)
        .outerjoin(Enterprise, Enterprise.id == Credential.enterprise_id)
        .join(Order, Order.tenant_id == Credential.tenant_id)
        .where(Order.id == order_id, ConnectionCheck.failed_at.is_not(None))
        .order_by(ConnectionCheck.failed_at.desc()).limit(20)).all()
    counts = {"total": total, "verified": verified}
    return counts, [(e, statuses[e.id]) for e in enterprises], failures
