"""The connection check endpoints (machine calls: JSON, no session, no CSRF) and the setup card."""
from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from webapp.core.ratelimit import FailureLimit
from webapp.credentials import listing as credential_list
from webapp.credentials import service as credentials
from webapp.extensions import csrf, db
from webapp.golive import cards, check, guide
from webapp.golive import status as golive_status
from webapp.web.access import current_tenant, tenant_admin_required

bp = Blueprint("golive", __name__)

MAX_BODY = 64 * 1024
MAX_ID = 2**31 - 1


def _answer(payload: dict, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(error: check.CheckError):
    db.session.rollback()
    check.record_failure(error, ip=request.remote_addr)
    db.session.commit()
    return _answer({"errcode": error.code, "description": error.message}, error.status)


def _failures() -> FailureLimit:
    cfg = current_app.config
    return FailureLimit("golive-token", cfg.get("GOLIVE_FAILURE_LIMIT", 30),
                        cfg.get("GOLIVE_FAILURE_WINDOW", 10 * 60))


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
                                   limit=cfg.get("GOLIVE_TOKEN_LIMIT", 30),
                                   window=cfg.get("GOLIVE_TOKEN_WINDOW", 60))
    except check.CheckError as error:
        if error.status == 429:
            db.session.rollback()
            return _too_many(int(cfg.get("GOLIVE_TOKEN_WINDOW", 60)))
        _failures().fail(*keys)
        return _refused(error)
    db.session.commit()
    return _answer(answer)


@bp.post("/base/check/echo")
@csrf.exempt
def echo():
    """The encrypted echo: ?access_token=…&reqid=…, body Base64(AES-128-ECB(JSON))."""
    if (request.content_length or 0) > MAX_BODY:
        return _answer({"errcode": "1008", "description": "请求体过大（最多 64 KB）"}, 413)
    try:
        answer = check.echo(request.args.get("access_token"), request.args.get("reqid"),
                            request.get_data(cache=False), ip=request.remote_addr)
    except check.CheckError as error:
        return _refused(error)
    db.session.commit()
    return _answer(answer)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """JSON in the 发票云 shape for whatever else goes wrong here (405, 413, …)."""
    return _answer({"errcode": str(error.code), "description": error.name}, error.code or 500)


@bp.get("/golive/setup/<int:enterprise_id>")
@tenant_admin_required
def setup(enterprise_id: int):
    """接入指引: the setup card of one allocated enterprise for its order's ERP."""
    tenant = current_tenant()
    # A path id past PostgreSQL's integer (and SQLite's int64) would be a 500, not a 404.
    enterprise = (credential_list.allocated_enterprise(tenant.id, enterprise_id)
                  if enterprise_id <= MAX_ID else None)
    if enterprise is None:
        abort(404)
    cred = credentials.ensure_enterprise_credential(enterprise, actor=current_user)
    db.session.commit()
    order = guide.order_for(enterprise.id)
    return render_template(
        "golive/setup.html", enterprise=enterprise, cred=cred, order=order,
        card=cards.card_for(order.erp if order else None, enterprise, cred.client_id,
                            guide.product_codes(enterprise.id)),
        status=golive_status.for_enterprises([enterprise.id])[enterprise.id],
        warning=cards.WARNING, revealed={}, mask=credentials.MASK)
