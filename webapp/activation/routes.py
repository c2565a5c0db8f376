"""产品激活: the page behind the email's link, one step at a time."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from flask_babel import gettext as _
from webapp.activation import service as activation
from webapp.activation.forms import ErpForm, JoinForm, KeyForm, PasswordForm
from webapp.core.errors import ServiceError
from webapp.models import Order
from webapp.web.errors import status_of
from webapp.web.forms import mark_fields

bp = Blueprint("activation", __name__, url_prefix="/activate")

SESSION_KEY = "activation_verified"


def _verified(order: Order) -> bool:
    return session.get(SESSION_KEY, {}).get(str(order.id)) == order.link_nonce


def _mark_verified(order: Order) -> None:
    verified = dict(session.get(SESSION_KEY, {}))
    verified[str(order.id)] = order.link_nonce
    session[SESSION_KEY] = verified


def _page(token: str, order: Order, status: int = 200, **forms):
    """Render whichever step the order and this browser are at."""
    if not _verified(order):
        step = "key"
    elif order.is_activated:
        step = "done"
    elif (not (order.erp and order.deployment) or forms.get("erp_form")
          or request.args.get("change")):
        step = "erp"
    else:
        step = "account"
    erp_form = forms.get("erp_form") or ErpForm(erp=order.erp, deployment=order.deployment)
    ctx = dict(
        token=token, order=order, step=step,
        key_form=forms.get("key_form") or KeyForm(),
        erp_form=erp_form,
        password_form=forms.get("password_form") or PasswordForm(),
        join_form=JoinForm(),
        error=forms.get("error"),
    )
    return render_template("activation/page.html", **ctx), status


def _already_activated(order: Order):
    if (current_user.is_authenticated and current_user.tenant_id
            and current_user.tenant_id == order.tenant_id):
        return None
    flash(_("订单 %(order_no)s 已激活，请登录后继续配置。", order_no=order.order_no), "info")
    return redirect(url_for("auth.login", next=url_for("main.configure", order_id=order.id)))


@bp.get("/<token>")
def page(token: str):
    order = activation.load_link(token)
    if order.is_activated and (blocked := _already_activated(order)):
        return blocked
    return _page(token, order)


@bp.post("/<token>/key")
def key(token: str):
    order = activation.load_link(token)
    if order.is_activated:
        return _when_activated(token, order)
    form = KeyForm()
    if not form.validate_on_submit():
        return _page(token, order, 422, key_form=form)
    try:
        activation.check_key(order, form.key.data, request.remote_addr)
    except ServiceError as exc:
        mark_fields(form, exc)
        return _page(token, order, status_of(exc), key_form=form)
    _mark_verified(order)
    return redirect(url_for(".page", token=token), 303)


def _require_verified(order: Order) -> None:
    if not _verified(order):
        abort(403, description=_("请先输入邮件中的操作密钥。"))


def _when_activated(token: str, order: Order):
    """An activated order's forms are done: its admin sees the result, others the login."""
    return _already_activated(order) or redirect(url_for(".page", token=token), 303)


@bp.post("/<token>/erp")
def erp(token: str):
    order = activation.load_link(token)
    if order.is_activated:
        return _when_activated(token, order)
    _require_verified(order)
    form = ErpForm()
    if not form.validate_on_submit():
        return _page(token, order, 422, erp_form=form)
    activation.choose_erp(order, form.erp.data, form.deployment.data, ip=request.remote_addr,
                          actor=current_user if current_user.is_authenticated else None)
    flash(_("已保存：%(erp_label)s / %(deployment_label)s",
            erp_label=order.erp_label, deployment_label=order.deployment_label), "success")
    return redirect(url_for(".page", token=token), 303)


@bp.post("/<token>/complete")
def complete(token: str):
    order = activation.load_link(token)
    if order.is_activated:
        return _when_activated(token, order)
    _require_verified(order)
    signed_in = current_user if current_user.is_authenticated else None
    form = JoinForm() if signed_in else PasswordForm()
    if not form.validate_on_submit():
        return _page(token, order, 422, password_form=None if signed_in else form)
    try:
        user = activation.activate(
            order, user=signed_in,
            password=None if signed_in else form.password.data,
            confirm=None if signed_in else form.confirm.data,
            ip=request.remote_addr,
        )
    except ServiceError as exc:
        return _page(token, order, status_of(exc),
                     password_form=None if signed_in else form, error=exc.message)
    if not signed_in:
        login_user(user)
    flash(_("激活成功！请点击【去配置】新增企业并分配权益。"), "success")
    return redirect(url_for(".page", token=token), 303)
