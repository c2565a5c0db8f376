"""Home pages: the tenant admin's orders, the staff landing page, and 【去配置】."""
from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.allocation import batches
from webapp.changes import service as change_requests
from webapp.extensions import db
from webapp.golive import status as golive
from webapp.main import readiness
from webapp.models.user import APPROVER, OPS, SUPPORT
from webapp.support import service as support
from webapp.models import Order
from webapp.web.access import current_tenant, or_404, tenant_admin_required

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.home"))


@bp.get("/home")
@login_required
def home():
    if current_user.is_staff:  # what waits for each role: the queue, failed emails, stuck requests
        role = current_user.role
        return render_template(
            "main/staff_home.html", request_counts=change_requests.status_counts(),
            queue=change_requests.approver_queue() if role == APPROVER else [],
            unpaid=change_requests.awaiting_payment() if role == APPROVER else [],
            failed_emails=support.failed_emails() if role == SUPPORT else [],
            stuck=change_requests.stuck() if role in (SUPPORT, OPS) else [])
    orders = db.session.scalars(
        select(Order).where(Order.of_tenant(current_tenant().id)).order_by(Order.id.desc())).all()
    return render_template("main/tenant_home.html", orders=orders,
                           overview=golive.overview(current_tenant().id),
                           to_confirm=change_requests.awaiting_confirmation(current_tenant().id))


@bp.get("/orders/<int:order_id>")
@tenant_admin_required
def configure(order_id: int):
    """【去配置】 lands here: 分配权益, the order's products with 【去分配】 (新增企业 first if none)."""
    order = or_404(Order.get_for_tenant(order_id, current_user.tenant_id))
    if not order.is_activated:
        abort(404)
    return render_template("main/order.html", order=order,
                           has_enterprises=batches.has_enterprises(order.tenant_id))


@bp.get("/healthz")
def healthz():
    """Liveness (the process answers; no database), and the benchmarks' baseline."""
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/readyz")
def readyz():
    """Readiness (JSON): 200 when the database answers at the migrations' head, else 503."""
    ready, report = readiness.check()
    response = jsonify(report)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
