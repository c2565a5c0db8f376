"""The support console (客服): find an order, read its state and email history, resend, fix email.

Support, ops and approvers may look; support and ops may act. Tenant admins get 403.
"""
from flask import Blueprint, flash, request, url_for
from flask_login import current_user

from flask_babel import gettext as _
from webapp.core.errors import ServiceError
from webapp.core.ids import parse_id
from webapp.extensions import db
from webapp.golive import status as golive
from webapp.models import Order
from webapp.models.user import APPROVER, OPS, SUPPORT
from webapp.orders import service as orders
from webapp.support import service as support
from webapp.support.forms import (ContactEmailForm, DeliverForm, FindForm, PasswordResetForm,
                                  ResendForm)
from webapp.web.access import or_404, roles_required
from webapp.web.args import int_arg, search_arg
from webapp.web.errors import status_of
from webapp.web.forms import mark_fields
from webapp.web.htmx import hx_redirect, render

bp = Blueprint("support", __name__, url_prefix="/support")

VIEWERS = (SUPPORT, OPS, APPROVER)
ACTORS = (SUPPORT, OPS)


@bp.get("/")
@roles_required(*VIEWERS)
def console():
    """The console: 查找订单 by the customer's pair, and a free search for staff."""
    query, search_error = search_arg()
    after = int_arg("after")
    orders, next_after = support.search_orders(query, after)
    return render("support/console.html", "support/_results.html", 422 if search_error else 200,
                  find_form=FindForm(formdata=None), query=query, orders=orders,
                  after=after, next_after=next_after, error=None, search_error=search_error)


@bp.get("/find")
@roles_required(*VIEWERS)
def find():
    """Open the order matching 下单企业全称 + 订单号, or say why nothing matched."""
    form = FindForm(request.args)
    status, error = 422, None
    if form.validate():
        try:
            order = support.find_order(form.customer.data, form.order_no.data)
        except ServiceError as exc:
            status, error = status_of(exc), exc.message
        else:
            return hx_redirect(url_for(".order", order_id=order.id))
    orders, next_after = support.search_orders("")
    return render("support/console.html", status=status, find_form=form, query="",
                  orders=orders, next_after=next_after, error=error)


def _order(order_id: int, lock: bool = False) -> Order:
    """The order or 404; `lock` takes its row for a change (one resend at a time)."""
    return or_404(support.lock_order(order_id) if lock else db.session.get(Order, order_id))


def order_page(order: Order, status: int = 200, **forms):
    """The order page (or, for htmx, `fragment`) with any submitted form and its errors."""
    ctx = dict(
        order=order,
        emails=support.email_history(order),
        actions=support.support_actions(order),
        resend_form=forms.get("resend_form") or ResendForm(formdata=None),
        email_form=forms.get("email_form") or ContactEmailForm(formdata=None),
        deliver_form=DeliverForm(formdata=None),
        can_act=current_user.role in ACTORS,
        is_ops=current_user.role == OPS,
        error=forms.get("error"),
        resend_error=forms.get("resend_error"),
        golive=golive.order_statuses(order.id) if order.tenant_id else None,
        admins=support.tenant_admins(order),
        reset_form=PasswordResetForm(formdata=None),
    )
    return render("support/order.html", forms.get("fragment"), status, **ctx)


@bp.get("/orders/<int:order_id>")
@roles_required(*VIEWERS)
def order(order_id: int):
    """交付状态, 激活状态, 联系邮箱, lines and the email history of one order."""
    return order_page(_order(order_id))


@bp.get("/orders/<int:order_id>/emails")
@roles_required(*VIEWERS)
def emails(order_id: int):
    """The email history alone (htmx refreshes it while mail is pending)."""
    order = _order(order_id)
    return render("support/_emails.html", emails=support.email_history(order), order=order)


@bp.post("/orders/<int:order_id>/resend")
@roles_required(*ACTORS)
def resend(order_id: int):
    """【重新推送激活邮件】 with a required 原因."""
    order = _order(order_id, lock=True)
    form = ResendForm()
    if not form.validate_on_submit():
        return order_page(order, 422, resend_form=form, fragment="support/_resend.html")
    try:
        support.resend_activation(order, reason=form.reason.data, actor=current_user,
                                  ip=request.remote_addr)
    except ServiceError as exc:
        return order_page(order, status_of(exc), resend_form=form, fragment="support/_resend.html",
                          resend_error=None if mark_fields(form, exc) else exc.message)
    flash(_("已重新推送激活邮件至 %(contact_email)s：新的操作密钥已生成，"
            "旧密钥和旧链接已失效。",
            contact_email=order.contact_email),
          "success")
    return hx_redirect(url_for(".order", order_id=order.id))


@bp.post("/orders/<int:order_id>/contact-email")
@roles_required(*ACTORS)
def contact_email(order_id: int):
    """Correct the 联系邮箱 (audited old → new) before resending."""
    order = _order(order_id, lock=True)
    form = ContactEmailForm()
    if not form.validate_on_submit():
        return order_page(order, 422, email_form=form, fragment="support/_contact_email.html")
    old = order.contact_email
    try:
        support.change_contact_email(order, form.contact_email.data, reason=form.reason.data,
                                     actor=current_user, ip=request.remote_addr)
    except ServiceError as exc:
        mark_fields(form, exc, fallback="contact_email")
        return order_page(order, status_of(exc), email_form=form,
                          fragment="support/_contact_email.html")
    flash(_("联系邮箱已由 %(old)s 改为 %(contact_email)s。"
            "如需发送激活邮件，请点击【重新推送激活邮件】。",
            old=old, contact_email=order.contact_email), "success")
    return hx_redirect(url_for(".order", order_id=order.id))


@bp.post("/orders/<int:order_id>/deliver")
@roles_required(OPS)
def deliver(order_id: int):
    """【标记已交付】 (ops): queues the activation email to the contact."""
    order = _order(order_id, lock=True)
    if not DeliverForm().validate_on_submit():
        return order_page(order, 400, error=_("表单无效，请刷新页面后重试。"))
    try:
        orders.deliver(order, actor=current_user)
    except ServiceError as exc:
        return order_page(order, status_of(exc), error=exc.message)
    flash(_("订单 %(order_no)s 已标记为已交付，激活邮件已进入发送队列（%(contact_email)s）。",
            order_no=order.order_no, contact_email=order.contact_email),
          "success")
    return hx_redirect(url_for(".order", order_id=order.id))


@bp.post("/orders/<int:order_id>/password-reset")
@roles_required(*ACTORS)
def password_reset(order_id: int):
    """【发送重设密码邮件】 to a tenant admin of the order's tenant (audited; support never sees
    or sets the password)."""
    order = _order(order_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return order_page(order, 400, error=_("表单无效，请刷新页面后重试。"))
    user = or_404(support.tenant_admin(order, parse_id(form.user_id.data)))
    try:
        support.send_password_reset(order, user, actor=current_user, ip=request.remote_addr)
    except ServiceError as exc:
        return order_page(order, status_of(exc), error=exc.message)
    flash(_("重设密码邮件已发送至 %(email)s：链接 1 小时内有效，之前发送的链接随即失效。", email=user.email), "success")
    return hx_redirect(url_for(".order", order_id=order.id))
