"""企业管理: the tenant's enterprise list, 【新增企业】 with 工商信息 autofill, and a detail page.

批量导入 (bulk add) too: upload a CSV, see every row judged, then 【确认导入】 the good ones.
Rules live in service.py and bulk_import.py.
"""
from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core import taxid
from webapp.models.business_fields import BUSINESS_FIELDS, FIELDS
from webapp.core.errors import RateLimited, ServiceError
from webapp.enterprises import bulk_import
from webapp.enterprises import service as enterprises
from webapp.enterprises.bulk_import import OK
from webapp.enterprises.forms import ConfirmImportForm, EnterpriseForm, UploadForm
from webapp.enterprises.service import InvalidEnterprise, TaxIdTaken
from webapp.models import Enterprise
from webapp.models.enterprise import SOURCE_MANUAL, SOURCE_REGISTRY
from webapp.registry import service as registry
from webapp.web.access import current_tenant, or_404, tenant_admin_required
from webapp.web.args import int_arg, search_arg
from webapp.web.errors import status_of
from webapp.web.forms import mark_fields
from webapp.web.htmx import hx_redirect, render
from webapp.web.navigation import return_to

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")

SUGGESTION_LIMIT = 10


@bp.get("/")
@tenant_admin_required
def index():
    """The tenant's enterprises: search by name or tax ID, keyset pages of 50."""
    q, search_error = search_arg()
    result = enterprises.page(current_user.tenant_id, q=q, after=int_arg("after"),
                              before=int_arg("before"))
    return render("enterprises/index.html", "enterprises/_list.html", 422 if search_error else 200,
                  listing=result, q=q, search_error=search_error)


@bp.get("/<int:enterprise_id>")
@tenant_admin_required
def show(enterprise_id: int):
    enterprise = or_404(Enterprise.get_for_tenant(enterprise_id, current_user.tenant_id))
    reading = taxid.read(enterprise.tax_id)
    mismatch = taxid.category_mismatch(reading, enterprise.company_type)
    return render("enterprises/show.html", enterprise=enterprise, fields=BUSINESS_FIELDS,
                  reading=reading, mismatch=mismatch)


def _fill(form: EnterpriseForm, info) -> None:
    """Put a registry company into the form; the fields stay editable."""
    for field in FIELDS:
        form[field.name].data = getattr(info, field.name) or ""
    form.source.data = SOURCE_REGISTRY


def _form_page(form: EnterpriseForm, status: int = 200, **ctx):
    ctx.setdefault("suggestions", None)
    reading = taxid.read(form.tax_id.data)
    if reading.valid:  # a refused tax ID has its message on the field already
        ctx.update(reading=reading,
                   mismatch=taxid.category_mismatch(reading, form.company_type.data))
    ctx.setdefault("bound", _bound(ctx["suggestions"]))
    return render("enterprises/new.html", "enterprises/_form.html", status, form=form, **ctx)


def _bound(companies) -> dict[str, str]:
    """Which suggested tax IDs a tenant holds already: this one ("own") or another ("other")."""
    return enterprises.bound_tax_ids([c.tax_id for c in companies or ()], current_user.tenant_id)


def _suggest(query: str) -> list:
    query = " ".join((query or "").split())[:100]
    return registry.suggest(query, limit=SUGGESTION_LIMIT) if len(query) >= 2 else []


@bp.get("/autofill")
@tenant_admin_required
def autofill():
    """Suggestions for what is typed in 企业名称 (2+ characters) or a complete 企业税号."""
    query = next((request.args[k] for k in ("q", "name", "tax_id") if request.args.get(k)), "")
    query = " ".join(query.split())[:100]
    live = "tax_id" in request.args and "q" not in request.args  # typed in the 企业税号 box
    reading = taxid.read(query) if live else None
    if live and not reading.valid:
        query = ""  # the tax ID box looks up complete tax IDs only
    companies = _suggest(query) if len(query) >= 2 else None
    # What the code says, next to what the registry holds for it; nothing while still typing.
    found = next((c for c in companies or () if reading and c.tax_id == reading.tax_id), None)
    return render("enterprises/_autofill.html", "enterprises/_autofill.html",
                  suggestions=companies, query=query, live=live,
                  reading=reading if live and reading.complete else None,
                  mismatch=found and taxid.category_mismatch(reading, found.company_type),
                  bound=_bound(companies))


@bp.route("/new", methods=["GET", "POST"])
@tenant_admin_required
def new():
    """【新增企业】: GET shows the form (`?pick=TAX_ID` fills it from the registry);
    POST saves, or with 【查询工商信息】 / a picked suggestion fills it without saving."""
    form = EnterpriseForm()
    if request.method == "GET":
        pick = request.args.get("pick", "")[:64]
        if pick:
            return _picked(form, pick)
        return _form_page(form)
    if request.form.get("pick"):
        return _picked(form, request.form["pick"][:64])
    if form.lookup.data:
        return _lookup(form)
    try:
        enterprise = enterprises.add(
            current_tenant(), form.data_for_service(), actor=current_user,
            source=form.source.data, ip=request.remote_addr)
    except TaxIdTaken as exc:  # the seed's sentence, with 【联系售后】 beside it
        return _form_page(form, 422, taken=exc)
    except (InvalidEnterprise, RateLimited) as exc:  # RateLimited: too many holders named
        mark_fields(form, exc)
        return _form_page(form, status_of(exc))
    flash(_("已新增企业：%(name)s（%(tax_id)s，%(source)s）", name=enterprise.name,
            tax_id=enterprise.tax_id, source=enterprise.source_label),
          "success")
    if mismatch := taxid.category_mismatch(taxid.read(enterprise.tax_id), enterprise.company_type):
        flash(mismatch, "info")
    return hx_redirect(return_to() or url_for(".index"))


def _picked(form: EnterpriseForm, tax_id: str):
    info = registry.lookup_tax_id(tax_id)
    if info is None:
        form.source.data = SOURCE_MANUAL
        return _form_page(form, suggestions=[], notice=_("未查询到工商信息，请手动填写"))
    _fill(form, info)
    return _form_page(form)


def _lookup(form: EnterpriseForm):
    """【查询工商信息】 without JavaScript: a complete tax ID fills the form, a name lists matches."""
    tax = form.tax_id.data or ""
    if taxid.is_valid(tax) and (info := registry.lookup_tax_id(tax)):
        _fill(form, info)
        return _form_page(form)
    companies = _suggest(form.name.data or "")
    form.source.data = SOURCE_MANUAL
    if not companies:
        return _form_page(form, suggestions=[], notice=_("未查询到工商信息，请手动填写"))
    return _form_page(form, suggestions=companies)




# --- 批量导入 ---

MAX_UPLOAD = 4 * 1024 * 1024


def _page(status: int = 200, **ctx):
    ctx.setdefault("form", UploadForm())
    ctx.setdefault("preview", None)
    return render_template("enterprises/bulk.html", fields=FIELDS, **ctx), status


@bp.get("/import")
@tenant_admin_required
def bulk():
    return _page()


@bp.post("/import")
@tenant_admin_required
def bulk_upload():
    form = UploadForm()
    upload = form.file.data
    raw = upload.read(MAX_UPLOAD + 1) if upload else b""
    try:
        if len(raw) > MAX_UPLOAD:
            raise ServiceError(_("文件过大：请上传 4 MB 以内的 CSV 文件，或拆分后分批导入。"),
                               field="file")
        preview = bulk_import.preview(current_tenant(), current_user, raw)
    except ServiceError as exc:
        mark_fields(form, exc, fallback="file")
        return _page(422, form=form)
    return _page(preview=preview, confirm_form=ConfirmImportForm(token=preview.token))


@bp.post("/import/confirm")
@tenant_admin_required
def bulk_confirm():
    form = ConfirmImportForm()
    token = form.token.data or ""
    try:
        rows = bulk_import.confirm(current_tenant(), current_user, token,
                                         ip=request.remote_addr)
    except ServiceError as exc:
        return _page(status_of(exc), error=exc.message)
    added = sum(1 for row in rows if row.status == OK)
    flash(_("批量导入完成：新增 %(added)s 家企业，跳过 %(skipped)s 行。", added=added,
            skipped=len(rows) - added), "success")
    return hx_redirect(url_for(".index"))
