"""Ops (运营): create an order on a page and mark it 已交付 (the same services as the CLI)."""
from flask import Blueprint, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.models import Product
from webapp.models.user import OPS
from webapp.orders import service as orders
from webapp.orders.forms import order_form
from webapp.support.forms import DeliverForm
from webapp.support.routes import load_order, order_page
from webapp.web.access import roles_required
from webapp.web.htmx import hx_redirect

# The ops pages sit beside the support console they are reached from.
bp = Blueprint("orders", __name__, url_prefix="/support")

# Service field names → form field names (the service calls the contact email "email").
FIELD_MAP = {"email": "contact_email", "lines": None}


def _products():
    return db.session.scalars(select(Product).order_by(Product.sort, Product.id)).all()


def _page(form, status: int = 200, lines_error: str | None = None):
    return render_template("orders/new.html", form=form, lines_error=lines_error), status


@bp.route("/orders/new", methods=["GET", "POST"])
@roles_required(OPS)
def new_order():
    """新建订单: 订单号, 下单企业全称, 联系邮箱, 销售人员, 有效期 and a quantity per product."""
    form = order_form(_products())
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    lines = [(form._products[f.name], f.data) for f in form.quantity_fields() if f.data]
    try:
        order = orders.create_order(
            order_no=form.order_no.data, customer=form.customer.data,
            email=form.contact_email.data, lines=lines, valid_until=form.valid_until.data,
            sales=form.sales.data, actor=current_user)
        if form.delivered.data:
            orders.deliver(order, actor=current_user)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        name = FIELD_MAP.get(exc.field, exc.field)
        if name and hasattr(form, name):
            getattr(form, name).errors.append(exc.message)
            return _page(form, 422)
        return _page(form, 422, lines_error=exc.message)
    except IntegrityError:  # another request took this 订单号 between the check and the insert
        db.session.rollback()
        form.order_no.errors.append(f"订单号 {form.order_no.data} 已存在")
        return _page(form, 422)
    state = "已交付，激活邮件已进入发送队列" if form.delivered.data else "未交付"
    flash(f"订单 {order.order_no} 已创建（{state}）。", "success")
    return hx_redirect(url_for("support.order", order_id=order.id))


@bp.post("/orders/<int:order_id>/deliver")
@roles_required(OPS)
def deliver(order_id: int):
    """【标记已交付】: queues the activation email to the contact."""
    order = load_order(order_id, lock=True)
    if not DeliverForm().validate_on_submit():
        db.session.rollback()
        return order_page(order, 400, error="表单无效，请刷新页面后重试。")
    try:
        orders.deliver(order, actor=current_user)
    except ServiceError as exc:
        db.session.rollback()
        return order_page(order, 409, error=exc.message)
    db.session.commit()
    flash(f"订单 {order.order_no} 已标记为已交付，激活邮件已进入发送队列（{order.contact_email}）。",
          "success")
    return hx_redirect(url_for("support.order", order_id=order.id))
