"""申请 (智能审批): filing (【联系售后】, 【申请变更】, 我的申请, support for a tenant), the request
page with its steps, the other side's 确认, and the approver's queue and decisions."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from urllib.parse import quote

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.changes import attachments, filing, lifecycle, preview
from webapp.changes import service as change_requests
from webapp.changes.forms import MoveRequestForm
from webapp.models.business_fields import BUSINESS_FIELDS
from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.models import Tenant
from webapp.models.request import CASE_LABELS, KIND_LABELS, MERGE, MOVE, STATUS_LABELS
from webapp.models.user import APPROVER, OPS, SUPPORT, TENANT_ADMIN
from webapp.web.access import or_404, roles_required
from webapp.web.args import int_arg
from webapp.web.errors import status_of
from webapp.web.forms import mark_fields
from webapp.web.htmx import hx_redirect

bp = Blueprint("requests", __name__, url_prefix="/requests")



def submitted(req) -> str:
    """The flash after filing: what was done and the real next step."""
    return _("申请已提交。%(next_step)s", next_step=lifecycle.next_step(req))

filer_required = roles_required(TENANT_ADMIN, SUPPORT)
staff_required = roles_required(SUPPORT, APPROVER, OPS)


def filing_tenant() -> Tenant:
    """A tenant admin files for its own tenant; support for the tenant it names (tenant_id)."""
    if current_user.role == TENANT_ADMIN:
        if current_user.tenant.merged_into_id is not None:
            abort(403)
        return current_user.tenant
    tenant_id = int_arg("tenant_id", source=request.values)
    return or_404(db.session.get(Tenant, tenant_id) if tenant_id else None)


@bp.get("/")
@roles_required(TENANT_ADMIN)
def index():
    """我的申请 (tenant admin; staff work from the queue)."""
    rows, next_after = change_requests.for_tenant(current_user.tenant_id, after=int_arg("after"))
    return render_template("requests/index.html", rows=rows, next_after=next_after)


@bp.get("/file")
@roles_required(SUPPORT)
def file_for_tenant():
    """Support files for any tenant: its allocated tax IDs (【申请变更】), 企业变更租户, 合并租户."""
    name = request.args.get("tenant", "").strip()[:200]
    tenant = filing.tenant_named(name) if name else None
    allocations = filing.active_allocations(tenant.id) if tenant else []
    return render_template("requests/file_for_tenant.html", name=name, tenant=tenant,
                           allocations=allocations), 200 if tenant or not name else 404


# ---- 企业变更租户 (【联系售后】) ----

def _move_page(form: MoveRequestForm, tenant: Tenant, tax_id: str, status: int = 200,
               error: str | None = None):
    holder = pending = shown = None
    if error is None:
        try:
            change_requests.count_lookup(tenant, request.remote_addr)
            holder = change_requests.movable(tenant, tax_id)
            pending = change_requests.pending_move(tenant, holder.tax_id)
            _req, computed = filing.draft(MOVE, current_user, tenant,
                                          **filing.move_fields(tenant, holder, None))
            # Before the holder consents: what a move does in general, never its counts.
            shown = preview.before_consent(MOVE, computed["problems"])
        except ServiceError as exc:
            error, status = exc.message, status_of(exc)
    return render_template("requests/move.html", form=form, holder=holder, pending=pending,
                           error=error, tenant=tenant, shown=shown,
                           max_size=attachments.size_label(attachments.max_bytes()),
                           preview_rows=preview.rows(shown)), status


@bp.get("/move")
@filer_required
def move():
    """The 企业变更租户 request, prefilled with the tax ID, its current tenant and this tenant."""
    tax_id = request.args.get("tax_id", "")[:64]
    return _move_page(MoveRequestForm(tax_id=tax_id), filing_tenant(), tax_id)


@bp.post("/move")
@filer_required
def move_submit():
    form = MoveRequestForm()
    tenant = filing_tenant()
    tax_id = (form.tax_id.data or "")[:64]
    try:
        req = change_requests.submit_move(
            tenant, current_user, tax_id, form.reason.data,
            upload=attachments.uploads(request.files, request.form), ip=request.remote_addr)
    except ServiceError as exc:
        if mark_fields(form, exc):
            return _move_page(form, tenant, tax_id, 422)
        return _move_page(form, tenant, tax_id, 422, error=exc.message)
    flash(submitted(req), "success")
    return hx_redirect(url_for(".show", request_id=req.id))


# ---- 权益税号变更 (【申请变更】) ----

def _tax_page(allocation, tenant, data, status=200, errors=None, shown=None):
    kind = preview.kind_for_product(allocation.line.product.code)
    return render_template("requests/tax_change.html", allocation=allocation, tenant=tenant,
                           max_size=attachments.size_label(attachments.max_bytes()), kind=kind,
                           kind_label=KIND_LABELS[kind], data=data,
                           errors=errors or {}, cases=CASE_LABELS, fields=BUSINESS_FIELDS,
                           shown=shown, preview_rows=preview.rows(shown)), status


@bp.route("/tax/<int:allocation_id>", methods=["GET", "POST"])
@filer_required
def tax_change(allocation_id: int):
    """The 开票/收票 form of one allocation: 【预览】 shows what will move, 【提交申请】 files it."""
    tenant = filing_tenant()
    allocation = or_404(filing.active_allocation(tenant.id, allocation_id))
    if request.method == "GET":
        return _tax_page(allocation, tenant, {})
    data = request.form
    try:
        if data.get("action") != "submit":
            fields = filing.tax_change_fields(allocation, data)
            kind = fields.pop("kind")
            _req, shown = filing.draft(kind, current_user, tenant, **fields)
            status = 422 if shown["problems"] else 200
            return _tax_page(allocation, tenant, data, status, shown=shown)
        req = filing.file_tax_change(tenant, current_user, allocation.id, data,
                                     upload=attachments.uploads(request.files, request.form),
                                     ip=request.remote_addr)
    except ServiceError as exc:
        return _tax_page(allocation, tenant, data, status_of(exc),
                         errors=exc.errors or {"preview": exc.message})
    flash(submitted(req), "success")
    return hx_redirect(url_for(".show", request_id=req.id))


# ---- 合并租户 ----

def _merge_page(tenant, data, status=200, errors=None, shown=None):
    return render_template("requests/merge.html", tenant=tenant, data=data, errors=errors or {},
                           shown=shown, preview_rows=preview.rows(shown),
                           max_size=attachments.size_label(attachments.max_bytes())), status


@bp.route("/merge", methods=["GET", "POST"])
@filer_required
def merge():
    """合并租户: 【预览】 says what a merge does in general (never the other side's counts, nor
    whether a tenant of that name exists); 【提交申请】 files it alike for any name."""
    tenant = filing_tenant()
    if request.method == "GET":
        return _merge_page(tenant, {"direction": "into_other"})
    data = request.form
    try:
        if data.get("action") != "submit":
            filing.merge_other(tenant, data.get("other_tenant"), data.get("direction", ""))
            return _merge_page(tenant, data, shown=preview.before_consent(MERGE))
        req = filing.file_merge(tenant, current_user, data.get("other_tenant"),
                                data.get("direction", ""), data.get("reason"),
                                upload=attachments.uploads(request.files, request.form),
                                ip=request.remote_addr)
    except ServiceError as exc:
        return _merge_page(tenant, data, status_of(exc), errors=exc.errors or {"preview": exc.message})
    flash(submitted(req), "success")
    return hx_redirect(url_for(".show", request_id=req.id))


# ---- the request page and its steps ----

def _load(request_id: int):
    return or_404(lifecycle.visible(request_id, current_user))


def _show_page(req, status=200, error=None):
    stored, current = lifecycle.stored_and_current(req, current_user)
    return render_template(
        "requests/show.html", req=req, error=error, stored_rows=preview.rows(stored),
        stored=stored, current=current, current_rows=preview.rows(current),
        differs=preview.differs(stored, current), can_accept=lifecycle.can_accept(req, current_user),
        can_approve=lifecycle.can_approve(req, current_user),
        can_mark_paid=lifecycle.can_mark_paid(req, current_user),
        can_refuse=lifecycle.can_refuse(req, current_user), next_step=lifecycle.next_step(req),
        accepted_for=lifecycle.other_name(req),
        is_approver=current_user.role == APPROVER,
        default_fee=lifecycle.parse_fee(None)), status


@bp.get("/<int:request_id>")
@login_required
def show(request_id: int):
    return _show_page(_load(request_id))


@bp.get("/<int:request_id>/attachments/<int:attachment_id>")
@login_required
def attachment(request_id: int, attachment_id: int):
    """The attachment, only for those who may see the request (404 for anyone else)."""
    found = or_404(attachments.find(_load(request_id), attachment_id))
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    name = attachments.download_name(found)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"attachment-{found.id}.{name.rsplit('.', 1)[1].lower()}\"; "
        f"filename*=UTF-8''{quote(name)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


STEPS = {
    "accept": lambda req, f, ip: lifecycle.accept(
        req, current_user, f.get("comment"), ip=ip,
        consent=attachments.uploads(request.files, request.form, "consent")),
    "refuse": lambda req, f, ip: lifecycle.refuse(req, current_user, f.get("comment"), ip=ip),
    "approve": lambda req, f, ip: lifecycle.approve(
        req, current_user, f.get("comment"), fee=f.get("fee"),
        restart_validity=f.get("restart_validity") == "1", ip=ip),
    "reject": lambda req, f, ip: lifecycle.reject(req, current_user, f.get("comment"), ip=ip),
    "paid": lambda req, f, ip: lifecycle.mark_paid(req, current_user, f.get("payment_ref"), ip=ip),
    "retry": lambda req, f, ip: lifecycle.retry(req, current_user, ip=ip),
}
DONE = {"accept": _l("已确认，申请进入待审批。"), "refuse": _l("已拒绝该申请。"),
        "approve": _l("审批已通过。"), "reject": _l("已驳回该申请。"), "paid": _l("已标记已付款。"),
        "retry": _l("已重新执行。")}


@bp.post("/<int:request_id>/<step>")
@login_required
def act(request_id: int, step: str):
    """One step (accept, refuse, approve, reject, paid, retry); a refused step changes nothing."""
    if step not in STEPS:
        abort(404)
    req = _load(request_id)
    try:
        STEPS[step](req, request.form, request.remote_addr)
    except ServiceError as exc:
        return _show_page(req, status_of(exc), error=exc.message)
    if req.status == "failed":
        flash(_("%(done)s 执行失败：%(error)s", done=DONE[step], error=req.error), "error")
    elif req.status == "executed":
        flash(_("%(done)s 已执行。", done=DONE[step]), "success")
    else:
        flash(_("%(done)s 下一步：%(next_step)s", done=DONE[step],
                next_step=lifecycle.next_step(req)), "success")
    return hx_redirect(url_for(".show", request_id=req.id))


@bp.get("/queue")
@staff_required
def queue():
    """The approver queue: filter by type and state, oldest first."""
    kind = request.args.get("kind", "")
    status = request.args.get("status", "pending")
    rows, next_after = lifecycle.approver_queue(kind or None, status or None, after=int_arg("after"))
    return render_template("requests/queue.html", rows=rows, next_after=next_after, kind=kind,
                           status=status, kinds=KIND_LABELS, statuses=STATUS_LABELS,
                           counts=lifecycle.status_counts())
