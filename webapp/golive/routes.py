"""The connection check endpoints (machine calls: JSON, no session, no CSRF) and the setup card."""
from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from webapp.core.ratelimit import FailureLimit
from webapp.extensions import csrf
from webapp.golive import cards, check, guide
from webapp.golive import status as golive_status
from webapp.models import Credential
from webapp.models.allocation import allocated_enterprise
from webapp.models.credential import MASK
from webapp.web.access import current_tenant, or_404, tenant_admin_required

bp = Blueprint("golive", __name__)

MAX_BODY = 64 * 1024


def _answer(payload: dict, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(check.CheckError)
def _refused(error: check.CheckError):
    """A refused check, after the boundary rolled its work back (the check service remembered
    the failure for the credential's go-live status)."""
    return _answer({"errcode": error.code, "description": error.message}, error.status)


def _failures() -> FailureLimit:
    cfg = current_app.config
    return FailureLimit("golive-token", cfg["GOLIVE_FAILURE_LIMIT"], cfg["GOLIVE_FAILURE_WINDOW"])


def _too_many(wait: int):
    response = _answer({"errcode": "1009", "description": f"调用过于频繁，请 {wait} 秒后再试"}, 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/base/oauth/token")
@csrf.exempt
def token():
    """The 发票云 token call: {client_id, sign, timestamp[, encType]} → access_token.

    Rate-limited per client id and per address, across processes: failures are counted by
    FailureLimit (Redis when REDIS_URL is set), issued tokens by their rows in the database.
    """
    body = request.get_json(silent=True, force=True) if (request.content_length or 0) <= MAX_BODY \
        else None
    client_id = body.get("client_id") if isinstance(body, dict) else None
    keys = [f"ip:{request.remote_addr}"]
    if isinstance(client_id, str) and client_id.strip():
        keys.append(f"client:{client_id.strip()[:64]}")
    if wait := _failures().blocked(*keys):
        return _too_many(wait)
    cfg = current_app.config
    try:
        answer = check.issue_token(body, ip=request.remote_addr,
                                   limit=cfg["GOLIVE_TOKEN_LIMIT"],
                                   window=cfg["GOLIVE_TOKEN_WINDOW"])
    except check.CheckError as error:
        if error.status == 429:
            return _too_many(cfg["GOLIVE_TOKEN_WINDOW"])
        _failures().fail(*keys)
        raise
    return _answer(answer)


@bp.post("/base/check/echo")
@csrf.exempt
def echo():
    """The encrypted echo: ?access_token=…&reqid=…, body Base64(AES-128-ECB(JSON))."""
    if (request.content_length or 0) > MAX_BODY:
        return _answer({"errcode": "1008", "description": "请求体过大（最多 64 KB）"}, 413)
    return _answer(check.echo(request.args.get("access_token"), request.args.get("reqid"),
                              request.get_data(cache=False), ip=request.remote_addr))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """JSON in the 发票云 shape for whatever else goes wrong here (405, 413, …)."""
    return _answer({"errcode": str(error.code), "description": error.name}, error.code or 500)


@bp.get("/golive/setup/<int:enterprise_id>")
@tenant_admin_required
def setup(enterprise_id: int):
    """接入指引: the setup card of one allocated enterprise for its order's ERP."""
    enterprise = or_404(allocated_enterprise(enterprise_id, current_tenant().id))
    # Issued with the allocation (or the tax ID change); only data from before that rule may
    # lack one, and the page then offers 生成企业授权 instead of creating it in a read.
    cred = Credential.for_enterprise(enterprise.id)
    order = guide.order_for(enterprise.id)
    return render_template(
        "golive/setup.html", enterprise=enterprise, cred=cred, order=order,
        card=cred and cards.card_for(order.erp if order else None, enterprise, cred.client_id,
                                     guide.product_codes(enterprise.id)),
        status=golive_status.for_enterprises([enterprise.id])[enterprise.id],
        warning=cards.WARNING, revealed={}, mask=MASK)
