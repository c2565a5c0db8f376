"""The JSON API a sales system pushes orders with (bearer token, no cookies, no CSRF)."""
import hmac

from flask import Blueprint, current_app, jsonify, request, url_for

from flask_babel import gettext as _
from webapp.api.openapi import spec
from webapp.api.payload import parse
from webapp.core import audit
from webapp.core.errors import ServiceError
from webapp.core.ratelimit import FailureLimit
from webapp.extensions import csrf
from webapp.orders import service as orders
from webapp.web.errors import status_of

bp = Blueprint("api", __name__, url_prefix="/api")

def _error(status: int, message: str, **headers):
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers)
    return response


def _failures() -> FailureLimit:
    cfg = current_app.config
    return FailureLimit("api-token", cfg["API_MAX_TOKEN_FAILURES"],
                        cfg["API_TOKEN_FAILURE_WINDOW"])


def _authorise():
    """None when the bearer token is right; otherwise the 401/429 response to send."""
    key = f"ip:{request.remote_addr}"
    wait = _failures().blocked(key)
    if wait:
        return _error(429, _("访问令牌错误次数过多，请稍后再试"), **{"Retry-After": str(wait)})
    expected = current_app.config.get("API_TOKEN") or ""
    scheme, _space, given = (request.headers.get("Authorization") or "").partition(" ")
    if expected and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), expected.encode()):
        return None
    _failures().fail(key)
    audit.record_refusal("api.unauthorised", actor_label="api", ip=request.remote_addr,
                         reason="missing" if not given else "wrong")
    return _error(401, _("缺少或错误的访问令牌（Authorization: Bearer <API_TOKEN>）"),
                  **{"WWW-Authenticate": 'Bearer realm="api"'})


@bp.post("/orders")
@csrf.exempt
def create_order():
    """Create an order (and optionally deliver it) from a sales system's JSON."""
    if (refused := _authorise()) is not None:
        return refused
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the parser's recursion limit
        body = None
    if body is None:
        return jsonify(errors={"body": _("请求体必须是 JSON（Content-Type: application/json）")}), 400
    try:
        data = parse(body)
        order = orders.create_order(
            order_no=data.order_no, customer=data.customer, contact_email=data.contact_email,
            lines=data.lines, valid_until=data.valid_until, sales=data.sales, actor_label="api")
        if data.delivered:
            orders.deliver(order, actor_label="api")
    except ServiceError as exc:  # PayloadError included
        return jsonify(errors=exc.errors or {"body": exc.message}), status_of(exc)
    location = url_for("support.order", order_id=order.id, _external=False)
    return jsonify(id=order.id, order_no=order.order_no, delivered=order.is_delivered,
                   url=location), 201, {"Location": location}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    return jsonify(spec(current_app.config["PUBLIC_BASE_URL"]))
