"""申请: 【联系售后】 opens a prefilled 企业变更租户 request; 我的申请 lists the tenant's requests.

Approval (待审批 → 已通过 → 已执行) is a later issue; here a request is recorded for support.
"""
from flask import Blueprint, flash, render_template, request, url_for
from flask_login import current_user

from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.requests import service as change_requests
from webapp.requests.forms import MoveRequestForm
from webapp.web.access import current_tenant, tenant_admin_required
from webapp.web.args import int_arg
from webapp.web.errors import status_of
from webapp.web.htmx import hx_redirect

bp = Blueprint("requests", __name__, url_prefix="/requests")

SUBMITTED = "申请已提交，售后审批后将为您处理。"


@bp.get("/")
@tenant_admin_required
def index():
    """我的申请."""
    rows, next_after = change_requests.for_tenant(current_tenant().id, after=int_arg("after"))
    return render_template("requests/index.html", rows=rows, next_after=next_after)


def _move_page(form: MoveRequestForm, tax_id: str, status: int = 200, error: str | None = None):
    holder = pending = None
    if error is None:
        try:
            change_requests.count_lookup(current_tenant(), request.remote_addr)
            holder = change_requests.movable(current_tenant(), tax_id)
            pending = change_requests.pending_move(current_tenant(), holder.tax_id)
        except ServiceError as exc:
            error, status = exc.message, status_of(exc)
    return render_template("requests/move.html", form=form, holder=holder, pending=pending,
                           error=error), status


@bp.get("/move")
@tenant_admin_required
def move():
    """The 企业变更租户 request, prefilled with the tax ID, its current tenant and this tenant."""
    tax_id = request.args.get("tax_id", "")[:64]
    form = MoveRequestForm(tax_id=tax_id)
    return _move_page(form, tax_id)


@bp.post("/move")
@tenant_admin_required
def move_submit():
    form = MoveRequestForm()
    tax_id = (form.tax_id.data or "")[:64]
    try:
        change_requests.submit_move(current_tenant(), current_user, tax_id, form.reason.data,
                                    ip=request.remote_addr)
    except ServiceError as exc:
        db.session.rollback()
        if exc.field == "reason":
            form.reason.errors = [exc.message]
            return _move_page(form, tax_id, 422)
        return _move_page(form, tax_id, 422, error=exc.message)
    db.session.commit()
    flash(SUBMITTED, "success")
    return hx_redirect(url_for(".index"))
