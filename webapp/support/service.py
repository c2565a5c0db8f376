"""The support console (客服): find orders, resend the activation email, fix the contact email.

Staff only ever see an email's metadata here (kind, time, state, error), never its body:
the body of an activation email holds the 操作密钥.
"""
import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.activation import service as activation
from webapp.auth import reset
from webapp.core import audit, keyset
from webapp.core.errors import Conflict, Invalid, NotFound, RateLimited, ServiceError
from webapp.core.text import normalise_email
from webapp.extensions import db
from webapp.models import AuditEntry, Order, OutboxEmail, User
from webapp.models.outbox import FAILED, PENDING, SUPERSEDED
from webapp.models.user import TENANT_ADMIN
from webapp.orm import utcnow

RESEND_ACTION = "support.activation_resent"
PASSWORD_RESET_ACTION = "support.order_password_reset"
RESENDS_PER_HOUR = 3
PAGE_SIZE = 20
NOT_DELIVERED = _l("订单尚未交付，请联系销售人员确认")
ALREADY_ACTIVATED = (_l("该订单已激活，激活邮件中的操作密钥已无用途，无需重新推送。"
                     "请客户使用联系邮箱登录后继续配置；如忘记密码，请客户在登录页点击【忘记密码】，"
                     "或在本页下方为该租户的管理员发送重设密码邮件。"))
NOT_FOUND = _l("未找到该订单：请核对下单企业全称和订单号（两者都需与订单一致）。")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")"})
_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """A company name for comparison: NFKC (full-width → half-width, （）→ ()),
    【】 → (), no whitespace at all, case-folded."""
    name = unicodedata.normalize("NFKC", name or "").translate(_BRACKETS)
    return _SPACES.sub("", name).casefold()


def normalise_order_no(order_no: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", order_no or "")).lower()


def find_order(customer: str, order_no: str) -> Order:
    """The order whose 订单号 and 下单企业全称 both match what the customer gave."""
    number = normalise_order_no(order_no)
    wanted = normalise_name(customer)
    if not number or not wanted:
        raise Invalid(_("请同时填写下单企业全称和订单号"))
    # 订单号 is unique as stored; "so-1" and "SO-1" could both exist, so check every candidate.
    candidates = db.session.scalars(
        select(Order).where(func.lower(Order.order_no) == number).limit(10))
    for order in candidates:
        if normalise_name(order.customer_name) == wanted:
            return order
    raise NotFound(NOT_FOUND)


def search_orders(query: str, after: int | None = None,
                  limit: int = PAGE_SIZE) -> tuple[list[Order], int | None]:
    """Orders matching 订单号, 下单企业全称 or 联系邮箱 (newest first), keyset-paginated by id.

    Returns the page and the id to continue after (None on the last page).
    """
    stmt = select(Order).options(selectinload(Order.tenant))
    query = unicodedata.normalize("NFKC", query or "").strip()
    if query:
        needle = query.lower()
        stmt = stmt.where(or_(
            func.lower(Order.order_no).contains(needle, autoescape=True),
            func.lower(Order.customer_name).contains(needle, autoescape=True),
            func.lower(Order.contact_email).contains(needle, autoescape=True),
        ))
    found = keyset.page(stmt, [Order.id], lambda o: o.id, after=after, size=limit,
                        descending=True, scalars=True)
    return found.rows, found.next_key


def lock_order(order_id: int) -> Order | None:
    """Load an order for a change, locking its row (PostgreSQL) so concurrent resends queue up;
    SQLite's BEGIN IMMEDIATE already serialises writers."""
    return db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())


def failed_emails(limit: int = 20) -> list[OutboxEmail]:
    """Emails that could not be delivered (not those void by design), newest first: the
    support home puts them in front of the agent."""
    return list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.status == FAILED,
                                  or_(OutboxEmail.last_error.is_(None),
                                      OutboxEmail.last_error != SUPERSEDED))
        .order_by(OutboxEmail.id.desc()).limit(limit)))


def email_history(order: Order, limit: int = 50) -> list[OutboxEmail]:
    """The order's emails, newest first (metadata only; bodies stay encrypted)."""
    return list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.order_id == order.id)
        .order_by(OutboxEmail.id.desc()).limit(limit)))


def support_actions(order: Order, limit: int = 50) -> list[AuditEntry]:
    """Who resent or corrected what on this order, and why."""
    return list(db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.target_type == Order.__tablename__, AuditEntry.target_id == order.id,
            AuditEntry.action.in_((RESEND_ACTION, PASSWORD_RESET_ACTION,
                                   "support.contact_email_changed",
                                   "order.created", "order.delivered")))
        .order_by(AuditEntry.id.desc()).limit(limit)))


def tenant_admins(order: Order) -> list[User]:
    """The tenant admins of the order's tenant (none before activation), by email."""
    if order.tenant_id is None:
        return []
    return list(db.session.scalars(select(User).where(
        User.tenant_id == order.tenant_id, User.role == TENANT_ADMIN).order_by(User.email)))


def tenant_admin(order: Order, user_id: int | None) -> User | None:
    """One tenant admin of the order's tenant, else None (another tenant's is not this page's)."""
    return next((user for user in tenant_admins(order) if user.id == user_id), None)


def send_password_reset(order: Order, user: User, *, actor: User, ip: str | None = None) -> None:
    """【发送重设密码邮件】 for a tenant admin of the order's tenant: the link goes to the
    admin's own address; support never sees or sets the password (audited)."""
    reset.send_link(user, actor=actor, ip=ip)
    audit.record(PASSWORD_RESET_ACTION, actor=actor, target=order, tenant_id=order.tenant_id,
                 ip=ip, to=user.email)


def resends_in_last_hour(order: Order, now: datetime | None = None) -> int:
    """Counted in the database, so the limit holds across processes."""
    since = (now or utcnow()) - timedelta(hours=1)
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == RESEND_ACTION,
            AuditEntry.target_type == Order.__tablename__,
            AuditEntry.target_id == order.id,
            AuditEntry.at > since))


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(_("请填写原因"), field="reason")
    if len(reason) > 500:
        raise ServiceError(_("原因不超过 500 字"), field="reason")
    return reason


def resend_activation(order: Order, *, reason: str, actor: User, ip: str | None = None,
                      now: datetime | None = None) -> str:
    """【重新推送激活邮件】: a fresh 操作密钥 and link (the old ones stop working), queued.

    Refused for an order not yet delivered, for an activated one (its key is useless),
    and past RESENDS_PER_HOUR per order in the last hour. Returns the new key.
    """
    reason = _reason(reason)
    if not order.is_delivered:
        raise Invalid(NOT_DELIVERED)
    if order.is_activated:
        raise Conflict(ALREADY_ACTIVATED)
    if resends_in_last_hour(order, now) >= RESENDS_PER_HOUR:
        raise RateLimited(
            _("该订单 1 小时内已重新推送 %(RESENDS_PER_HOUR)s 次，"
              "请稍后再试；如客户仍未收到，请先核对联系邮箱并查看下方邮件记录中的发送错误。",
              RESENDS_PER_HOUR=RESENDS_PER_HOUR))
    _supersede_pending(order, now or utcnow())
    key = activation.send_activation_email(order, actor=actor)
    audit.record(RESEND_ACTION, actor=actor, target=order, tenant_id=order.tenant_id, ip=ip,
                 reason=reason, to=order.contact_email)
    return key


def _supersede_pending(order: Order, now: datetime) -> int:
    """Withdraw activation emails still waiting (e.g. while SMTP was down): their key is about
    to stop working, and mailing it later would only confuse the customer. A row a sender holds
    right now is left alone; it is delivered, harmlessly, with a dead key."""
    return db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.order_id == order.id, OutboxEmail.kind == "activation",
               OutboxEmail.status == PENDING,
               or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now))
        .values(status=FAILED, last_error=SUPERSEDED, text_enc=None, html_enc=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def change_contact_email(order: Order, new_email: str, *, reason: str, actor: User,
                         ip: str | None = None) -> None:
    """Correct the 联系邮箱 of an order not yet activated (audited old → new)."""
    reason = _reason(reason)
    try:
        new_email = normalise_email(new_email)
    except ServiceError as exc:
        raise ServiceError(exc.message, field="contact_email") from None
    if order.is_activated:
        raise Conflict(_("该订单已激活，联系邮箱不能在客服工作台修改。"), field="contact_email")
    if new_email == order.contact_email:
        raise ServiceError(_("新联系邮箱与当前联系邮箱相同"), field="contact_email")
    old = order.contact_email
    order.contact_email = new_email
    audit.record("support.contact_email_changed", actor=actor, target=order,
                 tenant_id=order.tenant_id, ip=ip, old=old, new=new_email, reason=reason)
