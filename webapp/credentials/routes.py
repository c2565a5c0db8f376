"""查看租户授权信息: 租户授权 and 企业授权, masked; 显示 (audited), 重置密钥 (confirmed, audited).

Only the tenant admin of the credential's tenant: another tenant's ids are 404, staff get 403
(a support agent must not be able to read a customer's secrets).
"""
import click
from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.unit_of_work import transaction
from webapp.credentials import emails as authorization
from webapp.credentials import listing as credential_list
from webapp.credentials import service as credentials
from webapp.golive import status as golive
from webapp.golive.environments import described
from webapp.models import Credential
from webapp.models.allocation import allocated_enterprise
from webapp.models.credential import (ENVIRONMENT_LABELS, ENVIRONMENTS, MASK, PRODUCTION,
                                      SCOPE_LABELS, TEST)
from webapp.models.order import PRODUCT_NAMES
from webapp.web.access import current_tenant, or_404, tenant_admin_required
from webapp.web.args import int_arg, search_arg
from webapp.web.htmx import hx_redirect, is_htmx, render
from webapp.web.i18n import Words, per_locale

bp = Blueprint("credentials", __name__, url_prefix="/credentials")


@bp.context_processor
@per_locale
def _product_names():
    """The product names of the 企业授权 rows, translated once a locale, not once a row."""
    return {"product_names": Words({name: _(name) for name in PRODUCT_NAMES})}

PAGE = "credentials/page.html"


def _after() -> int | None:
    # request.values: the no-JS 显示 / 重置密钥 forms carry the page the user was on.
    return int_arg("after", source=request.values)


def _page(status: int = 200, revealed: dict | None = None, confirm: Credential | None = None):
    """The whole page; `revealed` maps (credential id, field) → value shown in clear."""
    tenant = current_tenant()
    q, search_error = search_arg(request.values)
    listing = credential_list.enterprise_page(tenant.id, q, _after())
    issued = Credential.both_for_tenant(tenant.id)
    tenant_creds = [(env, issued.get(env)) for env in ENVIRONMENTS]
    ctx = dict(tenant=tenant, tenant_creds=tenant_creds, listing=listing,
               after=_after(), revealed=revealed or {}, confirm=confirm,
               labels=credentials.FIELD_LABELS, scope_labels=SCOPE_LABELS, mask=MASK,
               environments=described(),
               golive=golive.for_enterprises(row.enterprise.id for row in listing.rows),
               search_error=search_error)
    # Only a plain list request (search, 下一页) is answered with the list fragment.
    fragment = None if revealed or confirm else "credentials/_enterprises.html"
    return render(PAGE, fragment, 422 if search_error and status == 200 else status, **ctx)


@bp.get("/")
@tenant_admin_required
def index():
    """The page; with htmx (search, 下一页) only the 企业授权 list."""
    return _page()


def _back():
    """Back to the page, keeping the search and the page the user was on."""
    return url_for("credentials.index", q=request.values.get("q") or None, after=_after())


def _environment() -> str:
    """The environment a 生成 button names (正式环境 when it names none); 400 when unknown."""
    environment = credentials.known_environment(request.form.get("environment") or PRODUCTION)
    if environment is None:
        abort(400)
    return environment


@bp.post("/tenant/generate")
@tenant_admin_required
def generate_tenant():
    environment = _environment()
    credentials.ensure_tenant_credential(current_tenant().id, environment, actor=current_user)
    flash(_("已生成%(environment)s的租户授权。", environment=ENVIRONMENT_LABELS[environment]),
          "success")
    return hx_redirect(_back())


@bp.post("/enterprise/<int:enterprise_id>/generate")
@tenant_admin_required
def generate_enterprise(enterprise_id: int):
    environment = _environment()
    enterprise = or_404(allocated_enterprise(enterprise_id, current_tenant().id))
    credentials.ensure_enterprise_credential(enterprise, environment, actor=current_user)
    flash(_("已生成 %(name)s 的%(environment)s企业授权。", name=enterprise.name,
            environment=ENVIRONMENT_LABELS[environment]), "success")
    if request.form.get("then") == "setup":  # pressed on the 接入指引 page
        return hx_redirect(url_for("golive.setup", enterprise_id=enterprise.id))
    return hx_redirect(_back())


@bp.post("/<int:credential_id>/reveal/<field>")
@tenant_admin_required
def reveal(credential_id: int, field: str):
    """显示: one value in clear (the fragment for htmx; the page, with it shown, without JS)."""
    cred = or_404(Credential.get_for_tenant(credential_id, current_tenant().id))
    if field not in credentials.SECRET_FIELDS:
        abort(404)
    value = credentials.reveal_field(cred, field, actor=current_user, ip=request.remote_addr)
    if is_htmx():
        return render(PAGE, "credentials/_value.html", cred=cred, field=field, value=value,
                      mask=MASK)
    return _page(revealed={(cred.id, field): value})


@bp.route("/<int:credential_id>/rotate", methods=["GET", "POST"])
@tenant_admin_required
def rotate(credential_id: int):
    """重置密钥: needs `confirmed=yes` (htmx adds it after hx-confirm; without JS, a confirm step)."""
    cred = or_404(Credential.get_for_tenant(credential_id, current_tenant().id))
    if request.method == "GET" or request.form.get("confirmed") != "yes":
        return _page(confirm=cred)
    credentials.rotate_secret(cred, actor=current_user, ip=request.remote_addr)  # 已停用: 409
    recipients = authorization.queue_rotation_email(cred, actor=current_user)
    flash(_("%(scope)s（%(environment)s）的密钥已重置，原 client secret 和 EncryKey 已失效。"
            "新的授权邮件已发送至 %(recipients)s。", scope=SCOPE_LABELS[cred.scope],
            environment=ENVIRONMENT_LABELS[cred.environment],
            recipients=_("、").join(recipients)), "success")
    return hx_redirect(_back())


@bp.post("/<int:credential_id>/reissue")
@tenant_admin_required
def reissue(credential_id: int):
    """重新生成授权: a 已停用 企业授权 of a tax ID that still holds an entitlement (409 when active,
    404 when the tax ID holds nothing any more)."""
    cred = or_404(Credential.get_for_tenant(credential_id, current_tenant().id))
    credentials.reissue(cred, actor=current_user, ip=request.remote_addr)
    recipients = authorization.queue_reissue_email(cred, actor=current_user)
    flash(_("已重新生成企业授权，原授权信息已失效。新的授权邮件已发送至 %(recipients)s。",
            recipients=_("、").join(recipients)),
          "success")
    return hx_redirect(_back())


@bp.cli.command("reencrypt")
@transaction
def reencrypt_command():
    """Re-encrypt every stored secret under the first DATA_ENCRYPTION_KEY."""
    counts = credentials.reencrypt_all()
    click.echo(f"re-encrypted {counts['credentials']} credentials and {counts['emails']} queued emails")


@bp.cli.command("issue-missing")
@transaction
def issue_missing_command():
    """Issue the 测试环境 credentials that those issued before migration 0020 lack."""
    made = credentials.issue_missing(TEST)
    click.echo(f"issued {made['enterprise']} enterprise and {made['tenant']} tenant credentials "
               "for the test environment")
