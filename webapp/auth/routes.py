from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from webapp.auth import service as accounts
from webapp.auth.forms import LoginForm
from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.web.errors import status_of

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths; anything else could send the user to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


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
            db.session.commit()  # keep the audit of the failure
            form.email.errors.append(exc.message)
            status = status_of(exc)
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.logout(current_user, ip=request.remote_addr)
        db.session.commit()
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"), 303)
