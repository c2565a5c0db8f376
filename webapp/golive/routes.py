"""The connection check endpoints (machine calls: JSON, no session, no CSRF) and the setup card."""
from dataclasses import dataclass

from flask import Blueprint, current_app, jsonify, render_template, request

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.core.ratelimit import FailureLimit
from webapp.extensions import csrf
from webapp.golive import cards, check, guide
from webapp.golive.environments import CHECK_PREFIXES, described
from webapp.golive import status as golive_status
from webapp.models import Credential
from webapp.models.allocation import allocated_enterprise
from webapp.models.credential import MASK
from webapp.web.access import current_tenant, or_404, tenant_admin_required
from webapp.web.errors import answer_errors_at

bp = Blueprint("golive", __name__)

TOKEN_PATH, ECHO_PATH = "/base/oauth/token", "/base/check/echo"
# Each environment's calls at its own address (the 测试环境 under /test).
CHECK_PATHS = tuple(prefix + path for prefix in CHECK_PREFIXES.values()
                    for path in (TOKEN_PATH, ECHO_PATH))
TOO_LARGE = _l("请求体过大（最多 %(value)s KB）", value=check.MAX_BODY // 1024)


def _answer(payload: dict):
    """Every answer of the two calls: HTTP 200, the errcode in the JSON (the SDKs throw on any
    other status before they read it)."""
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response


def _failures() -> FailureLimit:
    cfg = current_app.config
    return FailureLimit("golive-failures", cfg["GOLIVE_FAILURE_LIMIT"], cfg["GOLIVE_FAILURE_WINDOW"])


def _address() -> str:
    """Failures are counted per calling address only: a client secret cannot be guessed, so a
    count per client id would only let strangers stop the rightful ERP."""
    return f"ip:{request.remote_addr}"


@bp.errorhandler(check.CheckError)
def _refused(error: check.CheckError):
    """A refused check, after the boundary rolled its work back (the check service remembered
    the failure for the credential's go-live status); a failure counts against the address."""
    if error.counted:
        _failures().fail(_address())
    response = _answer({"errcode": error.code, "description": error.message})
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _machine_error(status: int, message: str | None):
    """What reaches these paths outside the check service (a wrong method, a body past the
    app's limit, an input refused before the view, an unexpected error): still an errcode in
    an HTTP 200, counted against the address as any malformed call."""
    if status >= 500:
        return _answer({"errcode": "9999", "description": str(check.ERRCODES["9999"])})
    if status == 429:  # a limit of the app's own (Retry-After is kept by the handler)
        return _answer({"errcode": "1009", "description": message or _("调用过于频繁，请稍后再试")})
    _failures().fail(_address())
    description = {405: _("请求方法错误：只接受 POST"), 413: str(TOO_LARGE)}.get(status) or message \
        or _("请求格式错误")
    return _answer({"errcode": "1008", "description": description})


@bp.record_once
def _errors_as_errcodes(state) -> None:
    answer_errors_at(state.app, CHECK_PATHS, _machine_error)


def _guarded_body() -> bytes:
    """The request body, refused (1009) when this address is over its failure limit and
    (1008) when it is larger than the calls ever need."""
    if wait := _failures().blocked(_address()):
        raise check.CheckError("1009", _("失败次数过多，请 %(wait)s 秒后再试", wait=wait), counted=False,
                               retry_after=wait)
    if (request.content_length or 0) > check.MAX_BODY:
        raise check.CheckError("1008", TOO_LARGE)
    raw = request.get_data(cache=False)
    if len(raw) > check.MAX_BODY:
        raise check.CheckError("1008", TOO_LARGE)
    return raw


def token(environment: str):
    """The 发票云 token call: {client_id, sign, timestamp[, encType]} → access_token.

    Failures are limited per address (FailureLimit: Redis when REDIS_URL is set), issued tokens
    per credential and per address by their rows in the database.
    """
    cfg = current_app.config
    return _answer(check.issue_token(_guarded_body(), ip=request.remote_addr,
                                     environment=environment,
                                     limit=cfg["GOLIVE_TOKEN_LIMIT"],
                                     window=cfg["GOLIVE_TOKEN_WINDOW"]))


def echo(environment: str):
    """The encrypted echo: ?access_token=…&reqid=…, body Base64(AES-128-ECB(JSON))."""
    body = _guarded_body()
    return _answer(check.echo(request.args.get("access_token"), request.args.get("reqid"),
                              body, ip=request.remote_addr, environment=environment))


# One pair of calls per environment. No automatic OPTIONS answer (an empty 200 without an
# errcode): it is a wrong method too.
for _environment, _prefix in CHECK_PREFIXES.items():
    for _path, _view in ((TOKEN_PATH, token), (ECHO_PATH, echo)):
        bp.add_url_rule(_prefix + _path, f"{_view.__name__}_{_environment}", csrf.exempt(_view),
                        methods=["POST"], provide_automatic_options=False,
                        defaults={"environment": _environment})


@bp.get("/golive/setup/<int:enterprise_id>")
@tenant_admin_required
def setup(enterprise_id: int):
    """接入指引: the setup card of one allocated enterprise for its order's ERP."""
    enterprise = or_404(allocated_enterprise(enterprise_id, current_tenant().id))
    # Issued with the allocation (or the tax ID change), both environments; only data from
    # before that rule may lack one, and the page then offers 生成 instead of creating it in a
    # read.
    creds = Credential.both_for_enterprise(enterprise.id)
    order = guide.order_for(enterprise.id)
    erp, products = (order.erp if order else None), guide.product_codes(enterprise.id)
    environments = [SetupEnvironment(env.key, env.label, creds.get(env.key),
                                     creds.get(env.key) and cards.card_for(
                                         erp, enterprise, creds[env.key].client_id, products,
                                         env.key))
                    for env in described().values()]
    return render_template(
        "golive/setup.html", enterprise=enterprise, environments=environments, order=order,
        status=golive_status.for_enterprises([enterprise.id])[enterprise.id],
        warning=cards.WARNING, revealed={}, mask=MASK, errcodes=list(check.ERRCODES.items()),
        replay_rule=check.REPLAY_RULE)


@dataclass
class SetupEnvironment:
    """One environment's part of 接入指引: its credential (None until generated) and card."""

    environment: str
    label: str
    cred: Credential | None
    card: cards.Card | None
