"""Home pages: the tenant admin's orders, the staff landing page, and 【去配置】."""
from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.access import current_tenant, get_for_tenant, tenant_admin_required
from webapp.extensions import db
from webapp.main import bp
from webapp.models import Order


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.home"))


@bp.get("/home")
@login_required
def home():
    if current_user.is_staff:
        return render_template("main/staff_home.html")
    orders = db.session.scalars(
        select(Order).where(Order.tenant_id == current_tenant().id).order_by(Order.id.desc())
    ).all()
    return render_template("main/tenant_home.html", orders=orders)


@bp.get("/orders/<int:order_id>")
@tenant_admin_required
def configure(order_id: int):
    """【去配置】: the activated order's configuration page (新增企业 → 分配权益)."""
    order = get_for_tenant(Order, order_id)
    return render_template("main/order.html", order=order)


@bp.get("/healthz")
def healthz():
    """A bare endpoint: liveness, and the baseline the benchmarks compare against."""
    return "ok", 200, {"Content-Type": "text/plain"}
