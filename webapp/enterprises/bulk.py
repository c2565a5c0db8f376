"""批量导入: upload a CSV, see every row judged, then 【确认导入】 the good ones at once."""
from flask import flash, render_template, request, url_for
from flask_login import current_user

from webapp.core.errors import ServiceError
from webapp.enterprises import bp
from webapp.enterprises.forms import ConfirmImportForm, UploadForm
from webapp.extensions import db
from webapp.services import enterprise_import
from webapp.services.enterprise_import import COLUMNS, OK
from webapp.web.access import current_tenant, tenant_admin_required
from webapp.web.htmx import hx_redirect

MAX_UPLOAD = 4 * 1024 * 1024


def _page(status: int = 200, **ctx):
    ctx.setdefault("form", UploadForm())
    ctx.setdefault("preview", None)
    return render_template("enterprises/bulk.html", columns=list(COLUMNS), **ctx), status


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
            raise ServiceError("文件过大：请上传 4 MB 以内的 CSV 文件，或拆分后分批导入。", field="file")
        preview = enterprise_import.preview(current_tenant(), current_user, raw)
    except ServiceError as exc:
        form.file.errors = [exc.message]
        return _page(422, form=form)
    return _page(preview=preview, confirm_form=ConfirmImportForm(token=preview.token))


@bp.post("/import/confirm")
@tenant_admin_required
def bulk_confirm():
    form = ConfirmImportForm()
    token = form.token.data or ""
    try:
        rows = enterprise_import.confirm(current_tenant(), current_user, token,
                                         ip=request.remote_addr)
    except ServiceError as exc:
        db.session.rollback()
        return _page(exc.code if exc.code != 409 else 422, error=exc.message)
    db.session.commit()
    enterprise_import.discard(token)
    added = sum(1 for row in rows if row.status == OK)
    flash(f"批量导入完成：新增 {added} 家企业，跳过 {len(rows) - added} 行。", "success")
    return hx_redirect(url_for(".index"))
