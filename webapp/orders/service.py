"""Creating and delivering orders; delivering one queues its activation email."""
import re
from datetime import date

from sqlalchemy import select

from flask_babel import gettext as _
from webapp.activation import service as activation
from webapp.core import audit
from webapp.core.errors import Conflict, NotFound, ServiceError
from webapp.core.text import normalise_email
from webapp.core.unit_of_work import add_unique
from webapp.extensions import db
from webapp.models import Order, OrderLine, Product, User
from webapp.orm import utcnow

ORDER_NO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_QUANTITY = 1_000_000  # far above any real order, far below the INTEGER column's limit


def parse_line(spec: str) -> tuple[str, int]:
    """`issue=3` → ("issue", 3)."""
    code, sep, qty = (spec or "").partition("=")
    if not sep or not code.strip():
        raise ServiceError(_("订单行格式应为 产品=数量，例如 issue=3：%(spec)s", spec=spec), field="lines")
    try:
        quantity = int(qty)
    except ValueError:
        raise ServiceError(_("数量必须是整数：%(spec)s", spec=spec), field="lines") from None
    return code.strip(), quantity


def create_order(*, order_no: str, customer: str, contact_email: str,
                 lines: list[tuple[str, int]],
                 valid_until: date | None = None, sales: str | None = None,
                 actor: User | None = None, actor_label: str | None = None) -> Order:
    """Create an order with its lines; every input is checked before anything is written."""
    order_no = (order_no or "").strip()
    customer = " ".join((customer or "").split())
    if not ORDER_NO_RE.match(order_no):
        raise ServiceError(_("订单号只能包含字母、数字、点、横线和下划线，最长 64 位"), field="order_no")
    if not customer or len(customer) > 200:
        raise ServiceError(_("下单企业全称不能为空，且不超过 200 字"), field="customer")
    if sales and len(sales) > 100:
        raise ServiceError(_("销售人员姓名不超过 100 字"), field="sales")
    email = normalise_email(contact_email, field="contact_email")
    if not lines:
        raise ServiceError(_("订单至少需要一个产品行"), field="lines")
    products = {p.code: p for p in db.session.scalars(select(Product))}
    seen = set()
    for code, quantity in lines:
        if code not in products:
            raise ServiceError(
                _("未知产品：%(code)s（可选：%(join)s）", code=code, join=', '.join(sorted(products))), field="lines")
        if quantity <= 0:
            raise ServiceError(_("产品 %(code)s 的数量必须大于 0", code=code), field="lines")
        if quantity > MAX_QUANTITY:
            raise ServiceError(_("产品 %(code)s 的数量不能超过 %(MAX_QUANTITY)s",
                                 code=code, MAX_QUANTITY=MAX_QUANTITY), field="lines")
        if code in seen:
            raise ServiceError(_("产品 %(code)s 重复出现", code=code), field="lines")
        seen.add(code)
    if valid_until is not None and valid_until < date.today():
        raise ServiceError(_("有效期不能早于今天"), field="valid_until")
    taken = Conflict(_("订单号 %(order_no)s 已存在", order_no=order_no), field="order_no")
    if db.session.scalar(select(Order.id).where(Order.order_no == order_no)):
        raise taken

    order = Order(order_no=order_no, customer_name=customer, contact_email=email,
                  sales_person=(sales or "").strip() or None)
    order.lines = [
        OrderLine(product=products[code], quantity=quantity, valid_from=date.today(),
                  valid_until=valid_until)
        for code, quantity in lines
    ]
    if not add_unique(order):  # a concurrent request took the 订单号 after the check
        raise taken
    audit.record("order.created", actor=actor, actor_label=actor_label, target=order,
                 order_no=order_no)
    return order


def get_by_number(order_no: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.order_no == (order_no or "").strip()))
    if order is None:
        raise NotFound(_("订单号 %(order_no)s 不存在", order_no=order_no))
    return order


def deliver(order: Order, *, actor: User | None = None, actor_label: str | None = None) -> str:
    """Mark the order 已交付 and queue its activation email; returns the new 操作密钥."""
    if order.is_delivered:
        raise Conflict(_("订单 %(order_no)s 已交付", order_no=order.order_no))
    order.delivered_at = utcnow()
    audit.record("order.delivered", actor=actor, actor_label=actor_label, target=order,
                 tenant_id=order.tenant_id)
    return activation.send_activation_email(order, actor=actor, actor_label=actor_label)
