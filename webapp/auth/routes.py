from functools import partial

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_user, logout_user

from flask_babel import gettext as _
from webapp.auth import links, reset, staff
from webapp.auth import service as accounts
from webapp.auth.forms import ForgotForm, LoginForm, NewPasswordForm
from webapp.core.errors import Expired, ServiceError
from webapp.models.user import OPS, ROLE_LABELS, STAFF_ROLES
from webapp.web import navigation
from webapp.web.access import or_404, roles_required
from webapp.web.boundary import after_answer
from webapp.web.errors import status_of
from webapp.web.forms import mark_fields
from webapp.web.htmx import hx_redirect

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths; anything else could send the user to another site."""
    return navigation.safe_path(target)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, request.remote_addr)
        except ServiceError as exc:
            mark_fields(form, exc, fallback="email")
            status = status_of(exc)
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.logout(current_user, ip=request.remote_addr)
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"), 303)


# ---- 账号管理 (ops): staff accounts, and the one-time link that sets a password ----

def _staff_page(status: int = 200, error: str | None = None, data=None):
    return render_template("auth/staff.html", accounts=staff.staff_accounts(), roles=STAFF_ROLES,
                           role_labels=ROLE_LABELS, error=error, data=data or {}), status


@bp.get("/staff/")
@roles_required(OPS)
def staff_index():
    return _staff_page()


@bp.post("/staff/")
@roles_required(OPS)
def staff_create():
    try:
        user = staff.create(request.form.get("email", "")[:254], request.form.get("role", ""),
                            actor=current_user)
    except ServiceError as exc:
        return _staff_page(status_of(exc), exc.message, request.form)
    flash(_("已创建账号 %(email)s，设置密码的链接已发送至该邮箱。", email=user.email), "success")
    return hx_redirect(url_for(".staff_index"))


@bp.post("/staff/<int:user_id>/<action>")
@roles_required(OPS)
def staff_update(user_id: int, action: str):
    """role (change the role), disable, enable, resend (a new password link)."""
    if action not in ("role", "disable", "enable", "resend"):
        abort(404)
    user = or_404(staff.load_staff(user_id))
    try:
        if action == "role":
            staff.change_role(user, request.form.get("role", ""), actor=current_user)
        elif action == "resend":
            staff.queue_password_email(user, current_user)
        else:
            staff.set_active(user, action == "enable", actor=current_user)
    except ServiceError as exc:
        return _staff_page(status_of(exc), exc.message)
    flash(_("账号 %(email)s 已更新。", email=user.email), "success")
    return hx_redirect(url_for(".staff_index"))


# ---- 忘记密码, and the one-time link that sets a password ----


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """忘记密码: the same answer whether or not the address has an account, in the same time:
    the request only counts itself; the account is looked up (and mailed) after the answer."""
    form = ForgotForm()
    status = 200
    if form.validate_on_submit():
        try:
            reset.count_request(request.remote_addr)
            after_answer(partial(reset.send_if_account, form.email.data, ip=request.remote_addr))
        except ServiceError as exc:
            mark_fields(form, exc, fallback="email")
            status = status_of(exc)
        else:
            flash(_("如该邮箱是本系统的登录账号，重设密码的邮件已发送至该邮箱，链接 %(minutes)s 分钟内"
                    "有效。请查收（包括垃圾邮件箱）；如收到多封，请使用最新一封中的链接。",
                    minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60), "info")
            return redirect(url_for(".forgot_password"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("auth/forgot.html", form=form), status


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """The one-time link of a password email (忘记密码, or a new staff account's first password)."""
    try:
        user = links.holder(token[:100])
    except ServiceError as exc:
        return render_template("auth/set_password.html", error=exc.message, user=None,
                               form=None), status_of(exc)
    form = NewPasswordForm()
    if request.method == "GET":
        return render_template("auth/set_password.html", user=user, form=form)
    if not form.validate_on_submit():
        return render_template("auth/set_password.html", user=user, form=form), 422
    try:
        links.use(token[:100], form.password.data, form.confirm.data, ip=request.remote_addr)
    except Expired as exc:  # used a moment ago in another tab
        return render_template("auth/set_password.html", error=exc.message, user=None,
                               form=None), status_of(exc)
    except ServiceError as exc:
        mark_fields(form, exc, fallback="password")
        return render_template("auth/set_password.html", user=user, form=form), status_of(exc)
    if current_user.is_authenticated:
        logout_user()  # every session of the account has ended; this browser's cookie too
    flash(_("密码已设置，之前的登录均已退出。请使用新密码登录。"), "success")
    return redirect(url_for(".login"), 303)
