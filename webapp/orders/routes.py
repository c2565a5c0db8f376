"""Ops (运营): create an order on a page (the same service as the CLI and the JSON API).

【标记已交付】 sits on the support console's order page (webapp/support/routes.py)."""
from flask import Blueprint, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from flask_babel import gettext as _
from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.models import Product
from webapp.models.user import OPS
from webapp.orders import service as orders
from webapp.orders.forms import order_form
from webapp.web.access import roles_required
from webapp.web.forms import mark_fields
from webapp.web.htmx import hx_redirect

# The ops pages sit beside the support console they are reached from.
bp = Blueprint("orders", __name__, url_prefix="/support")


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
            contact_email=form.contact_email.data, lines=lines,
            valid_until=form.valid_until.data, sales=form.sales.data, actor=current_user)
        if form.delivered.data:
            orders.deliver(order, actor=current_user)
    except ServiceError as exc:  # a refusal about the lines names no field of the form
        return _page(form, 422, lines_error=None if mark_fields(form, exc) else exc.message)
    state = _("已交付，激活邮件已进入发送队列") if form.delivered.data else _("未交付")
    flash(_("订单 %(order_no)s 已创建（%(state)s）。", order_no=order.order_no, state=state), "success")
    return hx_redirect(url_for("support.order", order_id=order.id))
