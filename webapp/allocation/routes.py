"""分配权益: the 勾选税号分配使用组织 panel, its draft, 【下一步】 and 分配成功.

Every route is for the tenant admin of the order's tenant: staff get 403 (roles_required),
another tenant's admin 404 (every query is scoped by tenant).
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.allocation import batches, drafts
from webapp.core.errors import ServiceError
from webapp.core.ids import parse_id
from webapp.models import AllocationBatch, Order, OrderLine
from webapp.web.access import or_404, tenant_admin_required
from webapp.web.args import int_arg, search_arg
from webapp.web.errors import status_of
from webapp.web.htmx import is_htmx, render
from webapp.web.i18n import per_locale
from webapp.web.navigation import here

bp = Blueprint("allocation", __name__, url_prefix="/orders")

ALREADY_CONFIRMED = _l("本次分配已确认完成，以下为分配结果；已分配的企业不能再次确认。")


@bp.context_processor
@per_locale
def _messages():
    # The panel states the used-up quota in the words the refusal of a tick uses.
    return {"quota_used_up": _(drafts.QUOTA_USED_UP)}


def _int(value: str | None) -> int:
    """A form id; anything else is a bad request."""
    ident = parse_id(value)
    if ident is None:
        abort(400, description=_("请求无效：企业编号有误，请刷新页面后重试。"))
    return ident


def _form_query() -> str:
    """The panel's search text carried in a POST (only to redraw or return to the same page)."""
    return search_arg(request.form)[0]


def _panel_url(line, q: str = "", after: str | None = None) -> str:
    """The panel at `after`; an unreadable or overlong cursor means page 1 (and never lands,
    unbounded, in a Location header)."""
    if drafts.decode_cursor(after) is None:
        after = None
    return url_for(".panel", order_id=line.order_id, line_id=line.id,
                   q=q or None, after=after or None)


@bp.get("/<int:order_id>/lines/<int:line_id>/allocate")
@tenant_admin_required
def panel(order_id: int, line_id: int):
    """【去分配】: 勾选税号分配使用组织, one keyset page of the tenant's enterprises."""
    line, drafted = drafts.load_line_with_count(current_user.tenant_id, order_id, line_id)
    or_404(line)
    q, message = search_arg()
    page = drafts.panel_page(line, current_user.tenant_id, q, request.args.get("after"))
    return render("allocation/panel.html", "allocation/_panel.html", 422 if message else 200,
                  line=line,
                  listing=page, quota=drafts.quota(line, drafted), message=message)


@bp.post("/<int:order_id>/lines/<int:line_id>/toggle")
@tenant_admin_required
def toggle(order_id: int, line_id: int):
    """One tick (htmx): the row comes back with 已分配 / 未分配, the counters out of band."""
    tenant_id = current_user.tenant_id
    enterprise_id = _int(request.form.get("enterprise_id"))
    ticked = str(enterprise_id) in request.form.getlist("selected")
    tick = or_404(drafts.toggle(tenant_id, order_id, line_id, enterprise_id, ticked,
                                current_user.id))
    q = _form_query()
    if not is_htmx():
        if tick.refused:
            flash(tick.refused, "error")
        return redirect(_panel_url(tick.line, q, request.form.get("after")), 303)
    status = 409 if tick.refused else 200
    toggle_url = here()  # this view's own URL, not built again
    if tick.boxes_changed:
        page = drafts.panel_page(tick.line, tenant_id, q, request.form.get("after"))
        response = render("allocation/_rows_swap.html", None, status, line=tick.line,
                          listing=page, quota=tick.after, message=tick.refused,
                          toggle_url=toggle_url, changed=tick.row)
        response.headers["HX-Retarget"] = "#alloc-rows"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return render("allocation/_toggle.html", None, status, line=tick.line, row=tick.row,
                  quota=tick.after, message=tick.refused, toggle_url=toggle_url, changed=tick.row)


@bp.post("/<int:order_id>/lines/<int:line_id>/draft")
@tenant_admin_required
def save(order_id: int, line_id: int):
    """The panel as a plain form: 【保存勾选】, 【全选本页】, paging and 【下一步】 all save first."""
    line = or_404(drafts.lock_line(current_user.tenant_id, order_id, line_id))
    page_ids = [_int(v) for v in request.form.getlist("page_ids")]
    selected = {_int(v) for v in request.form.getlist("selected")}
    action = request.form.get("action", "save")
    quota, refused = drafts.save_page(line, current_user.tenant_id, page_ids, selected,
                                      current_user, select_all=action == "select_page")
    if refused:
        flash(_("%(message)s（%(refused)s 家企业未能勾选）", message=_(drafts.QUOTA_USED_UP),
                refused=refused), "error")
    elif action in ("save", "select_page"):
        flash(_("已保存勾选：已选 %(selected)s 家，可分配 %(available)s 家。",
                selected=quota.drafted, available=quota.remaining), "success")
    if action == "next" and not refused:
        return redirect(url_for(".confirm", order_id=order_id, line_id=line_id), 303)
    q = _form_query()
    after = {"page_next": request.form.get("next_cursor"), "page_first": None}.get(
        action, request.form.get("after"))
    return redirect(_panel_url(line, q, after), 303)


def _confirm_page(order_id: int, line_id: int, status: int = 200, error: str | None = None):
    line = or_404(OrderLine.activated_for_tenant(current_user.tenant_id, order_id, line_id))
    rows, total = drafts.draft_rows(line, current_user.tenant_id)
    if total == 0 and error is None:
        # Nothing to confirm: after 确认分配 (the back button, a second tab) that is the
        # committed result, not an error; before any commit, the panel asks for ticks.
        if (batch := batches.latest_batch(line.id)) is not None:
            flash(str(ALREADY_CONFIRMED), "info")
            return redirect(url_for(".result", order_id=order_id, batch_id=batch.id), 303)
        flash(_("请先勾选要分配的企业。"), "error")
        return redirect(url_for(".panel", order_id=order_id, line_id=line_id), 303)
    return render_template("allocation/confirm.html", line=line, rows=rows, total=total,
                           token=batches.new_token(), error=error), status


@bp.get("/<int:order_id>/lines/<int:line_id>/confirm")
@tenant_admin_required
def confirm(order_id: int, line_id: int):
    """【下一步】: what will be allocated, and that it is final."""
    return _confirm_page(order_id, line_id)


@bp.post("/<int:order_id>/lines/<int:line_id>/commit")
@tenant_admin_required
def commit(order_id: int, line_id: int):
    """Commit the whole draft in one transaction; a replayed token lands on the same result."""
    token = request.form.get("token", "")
    try:
        batch, _created = batches.allocate(current_user.tenant_id, order_id, line_id, token,
                                           current_user, ip=request.remote_addr)
    except ServiceError as exc:  # the page says why (another tenant's line: a 404 there)
        return _confirm_page(order_id, line_id, status_of(exc), exc.message)
    return redirect(url_for(".result", order_id=order_id, batch_id=batch.id), 303)


@bp.get("/<int:order_id>/batches/<int:batch_id>")
@tenant_admin_required
def result(order_id: int, batch_id: int):
    """分配成功: this batch's enterprises with their authorization info."""
    batch = or_404(AllocationBatch.get_for_tenant(batch_id, current_user.tenant_id, order_id))
    return render_template("allocation/result.html", batch=batch, order=batch.line.order,
                           rows=batches.batch_results(batch))


@bp.get("/<int:order_id>/allocations")
@tenant_admin_required
def results(order_id: int):
    """【查看已分配结果】: every allocation of the order, newest first."""
    order = or_404(Order.get_for_tenant(order_id, current_user.tenant_id))
    rows, next_after = batches.order_results(order.id, int_arg("after"))
    return render_template("allocation/results.html", order=order, rows=rows,
                           next_after=next_after)
