"""租户权益查询, its CSV export, and 操作日志 (thin: the rules live in service.py and
core/audit.py)."""
from functools import partial
from urllib.parse import urlencode

from flask import Blueprint, Response, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from webapp.core import audit, csvexport
from webapp.database import writes
from webapp.entitlements import service as entitlements
from webapp.entitlements.forms import AuditForm, QueryForm, TenantSearchForm
from webapp.models import Tenant
from webapp.models.order import PRODUCT_NAMES
from webapp.models.user import ROLES
from webapp.web.access import TenantRef, or_404, roles_required
from webapp.web.args import int_arg
from webapp.web.htmx import render
from webapp.web.i18n import Words, per_locale
from webapp.web.navigation import here
from webapp.web.templating import id_url

QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unquoted in a built query

bp = Blueprint("entitlements", __name__, url_prefix="/entitlements")


@bp.context_processor
@per_locale
def _status_words():
    """Status badges and product names translated once a locale, not once a row (权益查询
    shows a status and a product per holding)."""
    badge = Markup('<span class="ent-status ent-status-{}">{}</span>')
    return {"status_badges": {s: badge.format(css, _(s))
                              for s, css in entitlements.STATUS_CLASSES.items()},
            "product_names": Words({name: _(name) for name in PRODUCT_NAMES})}

any_role = roles_required(*ROLES)


def _page_url(**cursor) -> str:
    """This page with its filters and `cursor`: what url_for(request.endpoint, ...) builds,
    written without the router (25 µs)."""
    args = [(k, v) for k, v in request.args.items() if k not in ("after", "before", "submit")]
    query = urlencode([*args, *((k, v) for k, v in cursor.items() if v is not None)],
                      safe=QUERY_SAFE)
    return here() + (f"?{query}" if query else "")


@bp.get("/")
@any_role
def index():
    """A tenant admin sees its own tenant; staff first find a tenant."""
    if not current_user.is_staff:
        return _tenant_view(current_user.tenant_ref)
    form = TenantSearchForm(formdata=request.args)
    matches, more, status = [], False, 200
    if form.q.data:
        if form.validate():
            matches, more = entitlements.find_tenants(form.q.data)
        else:
            status = 422
    return render("entitlements/search.html", "entitlements/_tenants.html", status,
                  form=form, matches=matches, more=more)


@bp.get("/tenants/<int:tenant_id>")
@any_role
def tenant(tenant_id: int):
    return _tenant_view(or_404(entitlements.visible_tenant(tenant_id, current_user)))


def _query_form() -> tuple[QueryForm, entitlements.Filters | None]:
    form = QueryForm.read(request.args, products=entitlements.products())
    if not form.validate():
        return form, None
    return form, entitlements.Filters(q=form.q or "", product=form.product or None)


def _tenant_view(tenant: Tenant | TenantRef):
    form, filters = _query_form()
    lines, page = [], None
    if filters is not None:
        lines = entitlements.lines_for_tenant(tenant.id, filters.product)
        page = entitlements.enterprise_page(tenant.id, filters, after=int_arg("after"))
    export_url = id_url("entitlements.export", tenant_id=tenant.id,
                        **{k: v for k, v in request.args.items() if k in ("q", "product")})
    return render("entitlements/page.html", "entitlements/_results.html",
                  200 if filters is not None else 422, tenant=tenant, form=form, lines=lines,
                  ent_page=page, export_url=export_url, action_url=here(),
                  first_url=int_arg("after") and _page_url(), next_url=page and page.next_after
                  and _page_url(after=page.next_after))


@bp.get("/tenants/<int:tenant_id>/export.csv")
@any_role
@writes  # the export is audited before the rows stream
def export(tenant_id: int):
    """The per-enterprise view as CSV, streamed: one row per allocation, never all in memory."""
    tenant = or_404(entitlements.visible_tenant(tenant_id, current_user))
    form, filters = _query_form()
    if filters is None:
        return _tenant_view(tenant)
    # Committed by the boundary when the view returns, before the first row streams.
    entitlements.record_export(current_user, tenant, filters, ip=request.remote_addr)
    rows = entitlements.export_rows(tenant.id, filters)
    header = [_(name) for name in entitlements.EXPORT_HEADER]  # data rows stay as stored
    chunks = csvexport.csv_chunks(header, rows)
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=entitlements-{tenant.id}.csv; "
        f"filename*=UTF-8''{_quote(tenant.name)}-entitlements.csv")
    response.headers["Cache-Control"] = "no-store"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


@bp.get("/audit", endpoint="audit")
@any_role
def audit_log():
    """操作日志: a tenant admin reads its tenant's entries; staff read everything."""
    form = AuditForm(formdata=request.args)
    page, status = None, 200
    if form.validate():
        filters = audit.AuditFilters(
            actor=form.actor.data or "", action=form.action.data or "",
            date_from=form.day_from, date_to=form.day_to)
        page = audit.entries(current_user.tenant_id, filters,
                             all_tenants=current_user.is_staff, before=int_arg("before"))
    else:
        status = 422
    return render("entitlements/audit.html", "entitlements/_audit_entries.html", status,
                  form=form, log_page=page, first_url=int_arg("before") and _page_url(),
                  next_url=page and page.next_before and _page_url(before=page.next_before),
                  detail=partial(audit.visible_detail,
                                 products={p.code: p.name for p in entitlements.products()}),
                  action_label=audit.action_label,
                  target=audit.target_label)
