"""POST /api/orders: bearer token, field-level errors, nothing written on a refusal."""
import json

import pytest
from factories import count, link_and_key, outbox_text

from webapp.extensions import db
from webapp.models import AuditEntry, Order, OrderLine, OutboxEmail

TOKEN = "test-api-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GOOD = {"order_no": "SO-API-1", "customer": "苏州示例科技有限公司", "contact_email": "buyer@example.com",
        "sales": "王销售", "valid_until": "2099-12-31",
        "lines": [{"product": "issue", "quantity": 3}, {"product": "receive", "quantity": 2}]}


@pytest.fixture
def api(make_app):
    # CSRF enforced as in production: the bearer API must not need a CSRF token.
    return make_app(API_TOKEN=TOKEN, WTF_CSRF_ENABLED=True, API_MAX_TOKEN_FAILURES=3)


def _nothing_written(app):
    assert count(app, Order) == 0 and count(app, OrderLine) == 0 and count(app, OutboxEmail) == 0


def test_a_good_payload_creates_and_delivers_the_order(api):
    client = api.test_client()
    response = client.post("/api/orders", json={**GOOD, "delivered": True}, headers=AUTH)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["order_no"] == "SO-API-1" and body["delivered"] is True
    assert response.headers["Location"] == f"/support/orders/{body['id']}"
    with api.app_context():
        order = db.session.get(Order, body["id"])
        assert order.customer_name == "苏州示例科技有限公司" and order.sales_person == "王销售"
        assert order.is_delivered and {(line.product.code, line.quantity) for line in order.lines} == {
            ("issue", 3), ("receive", 2)}
        assert str(order.lines[0].valid_until) == "2099-12-31"
        entry = db.session.query(AuditEntry).filter_by(action="order.created").one()
        assert entry.actor_label == "api"
    link, key = link_and_key(outbox_text(api))
    assert link.startswith("/activate/") and key
    assert client.get(link).status_code == 200


def test_undelivered_by_default(api):
    response = api.test_client().post("/api/orders", json=GOOD, headers=AUTH)
    assert response.status_code == 201 and response.get_json()["delivered"] is False
    assert count(api, OutboxEmail) == 0


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN},
    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer "},
    {"Authorization": f"Bearer {TOKEN}x"},
])
def test_missing_or_wrong_token_is_refused(api, headers):
    response = api.test_client().post("/api/orders", json=GOOD, headers=headers)
    assert response.status_code == 401
    assert "访问令牌" in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _nothing_written(api)


def test_without_a_configured_token_everything_is_refused(make_app):
    app = make_app(API_TOKEN=None)
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        assert app.test_client().post("/api/orders", json=GOOD,
                                      headers=headers).status_code == 401
    _nothing_written(app)


def test_repeated_token_failures_are_rate_limited(api):
    client = api.test_client()
    for _ in range(3):
        assert client.post("/api/orders", json=GOOD,
                           headers={"Authorization": "Bearer guess"}).status_code == 401
    blocked = client.post("/api/orders", json=GOOD, headers=AUTH)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    _nothing_written(api)
    with api.app_context():
        assert db.session.query(AuditEntry).filter_by(action="api.unauthorised").count() == 3


def test_a_body_that_is_not_json_is_refused(api):
    client = api.test_client()
    for data, content_type in (("order_no=SO-1", "application/x-www-form-urlencoded"),
                               ("{not json", "application/json"), ("", "application/json")):
        response = client.post("/api/orders", data=data, content_type=content_type, headers=AUTH)
        assert response.status_code == 400
        assert "body" in response.get_json()["errors"]
    # JSON that is not an object is well-formed but wrong (422); a JSON null is no body (400).
    for body, status in (([GOOD], 422), ("SO-1", 422), (42, 422), (None, 400)):
        response = client.post("/api/orders", data=json.dumps(body),
                               content_type="application/json", headers=AUTH)
        assert response.status_code == status, body
        assert "body" in response.get_json()["errors"]
    _nothing_written(api)


def _without(key):
    return {k: v for k, v in GOOD.items() if k != key}


@pytest.mark.parametrize("payload, field, message", [
    (_without("order_no"), "order_no", "必填"),
    (_without("customer"), "customer", "必填"),
    (_without("contact_email"), "contact_email", "必填"),
    (_without("lines"), "lines", "必填"),
    ({**GOOD, "customer": "   "}, "customer", "必填"),
    ({**GOOD, "contact_email": "not-an-email"}, "contact_email", "邮箱地址无效"),
    ({**GOOD, "contact_email": 42}, "contact_email", "必须是字符串"),
    ({**GOOD, "order_no": "S" * 65}, "order_no", "不超过 64 个字符"),
    ({**GOOD, "order_no": "SO 1'; DROP TABLE"}, "order_no", "订单号只能包含"),
    ({**GOOD, "customer": "长" * 201}, "customer", "不超过 200 个字符"),
    ({**GOOD, "customer": "甲\n乙"}, "customer", "控制字符"),
    ({**GOOD, "sales": "名" * 101}, "sales", "不超过 100 个字符"),
    ({**GOOD, "contact_email": "a" * 250 + "@x.com"}, "contact_email", "不超过 254 个字符"),
    ({**GOOD, "valid_until": "31/12/2099"}, "valid_until", "YYYY-MM-DD"),
    ({**GOOD, "valid_until": "2020-01-01"}, "valid_until", "有效期不能早于今天"),
    ({**GOOD, "delivered": "yes"}, "delivered", "true 或 false"),
    ({**GOOD, "lines": []}, "lines", "非空数组"),
    ({**GOOD, "lines": "issue=3"}, "lines", "非空数组"),
    ({**GOOD, "lines": ["issue"]}, "lines[0]", "必须是对象"),
    ({**GOOD, "lines": [{"product": "nope", "quantity": 1}]}, "lines", "未知产品：nope"),
    ({**GOOD, "lines": [{"product": "issue", "quantity": 0}]}, "lines[0].quantity", "必须大于 0"),
    ({**GOOD, "lines": [{"product": "issue", "quantity": -2}]}, "lines[0].quantity", "必须大于 0"),
    ({**GOOD, "lines": [{"product": "issue", "quantity": 1.5}]}, "lines[0].quantity", "必须是整数"),
    ({**GOOD, "lines": [{"product": "issue", "quantity": "3"}]}, "lines[0].quantity", "必须是整数"),
    ({**GOOD, "lines": [{"product": "issue", "quantity": True}]}, "lines[0].quantity", "必须是整数"),
    ({**GOOD, "lines": [{"product": "issue", "quantity": 10 ** 12}]}, "lines[0].quantity", "不能超过"),
    ({**GOOD, "lines": [{"product": "p" * 41, "quantity": 1}]}, "lines[0].product", "产品代码"),
    ({**GOOD, "lines": [{"product": "issue", "quantity": 1}] * 2}, "lines", "重复出现"),
    ({**GOOD, "admin": True}, "body", "未知字段：admin"),
])
def test_malformed_bodies_get_field_errors_and_write_nothing(api, payload, field, message):
    response = api.test_client().post("/api/orders", json={**payload, "delivered": payload.get(
        "delivered", True)}, headers=AUTH)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert message in errors[field], errors
    _nothing_written(api)


def test_every_wrong_field_is_reported_at_once(api):
    response = api.test_client().post("/api/orders", json={
        "order_no": 7, "contact_email": "", "lines": [{"product": "issue", "quantity": 0}]},
        headers=AUTH)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"order_no", "customer", "contact_email",
                                                  "lines[0].quantity"}


def test_duplicate_order_no_is_a_conflict(api):
    client = api.test_client()
    assert client.post("/api/orders", json=GOOD, headers=AUTH).status_code == 201
    response = client.post("/api/orders", json={**GOOD, "delivered": True}, headers=AUTH)
    assert response.status_code == 409
    assert "已存在" in response.get_json()["errors"]["order_no"]
    assert count(api, Order) == 1 and count(api, OutboxEmail) == 0


def test_an_oversized_body_gets_a_json_error(make_app):
    app = make_app(API_TOKEN=TOKEN, MAX_CONTENT_LENGTH=4096)
    response = app.test_client().post(
        "/api/orders", json={**GOOD, "customer": "长" * 5000}, headers=AUTH)
    assert response.status_code == 413 and response.is_json
    _nothing_written(app)


def test_openapi_description(api):
    response = api.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    operation = spec["paths"]["/api/orders"]["post"]
    assert {"201", "400", "401", "409", "422"} <= set(operation["responses"])
    schema = spec["components"]["schemas"]["OrderIn"]
    assert set(schema["required"]) == {"order_no", "customer", "contact_email", "lines"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_a_sales_system_pushes_an_order_over_real_http(live_server):
    """A real HTTP client against a real server (CSRF enforced): the bearer token is enough."""
    import urllib.error
    import urllib.request

    server = live_server(API_TOKEN=TOKEN)

    def post(body: bytes, headers: dict):
        request = urllib.request.Request(server.url + "/api/orders", data=body, method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    body = json.dumps({**GOOD, "delivered": True}).encode()
    assert post(body, {})[0] == 401
    status, answer = post(body, AUTH)
    assert status == 201 and answer["delivered"] is True
    assert post(body, AUTH)[0] == 409
    assert count(server.app, Order) == 1 and count(server.app, OutboxEmail) == 1


@pytest.mark.parametrize("field", ["customer", "sales", "order_no"])
def test_a_lone_surrogate_is_a_field_error(api, field):
    body = json.dumps({**GOOD, field: "@SURROGATE@"}).replace("@SURROGATE@", "a\\ud800")
    response = api.test_client().post("/api/orders", data=body, headers=AUTH,
                                      content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {field: "不能包含无效的 Unicode 字符"}
    _nothing_written(api)


def test_a_lone_surrogate_in_a_product_code_is_a_field_error(api):
    body = json.dumps({**GOOD, "lines": [{"product": "\ud800", "quantity": 1}]})
    response = api.test_client().post("/api/orders", data=body, headers=AUTH,
                                      content_type="application/json")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"lines[0].product"}
    _nothing_written(api)


def test_a_body_nested_too_deep_is_a_400(api):
    body = "[" * 100_000 + "]" * 100_000
    response = api.test_client().post("/api/orders", data=body, headers=AUTH,
                                      content_type="application/json")
    assert response.status_code == 400 and response.is_json
    _nothing_written(api)


def test_a_wrong_method_is_a_json_405_with_allow(api):
    response = api.test_client().get("/api/orders", headers=AUTH)
    assert response.status_code == 405 and response.is_json
    assert response.get_json()["error"] == "不支持该操作。"
    assert "POST" in response.headers["Allow"]


def test_an_unknown_api_path_is_a_json_404(api):
    response = api.test_client().get("/api/nothing-here")
    assert response.status_code == 404 and response.is_json


def test_an_unhandled_error_under_api_is_json(make_app):
    app = make_app(API_TOKEN=TOKEN)

    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/api/boom", view_func=boom)
    response = app.test_client().get("/api/boom")
    assert response.status_code == 500 and response.is_json
    assert "系统繁忙" in response.get_json()["error"]


def test_the_schema_states_every_empty_string_the_api_refuses(api):
    """Where the API answers 必填 for "", the schema says minLength; where it accepts "", not."""
    schema = api.test_client().get("/api/openapi.json").get_json()["components"]["schemas"][
        "OrderIn"]
    client = api.test_client()
    for name, prop in schema["properties"].items():
        if prop.get("type") != "string" or "format" in prop and prop["format"] == "date":
            continue
        response = client.post("/api/orders", json={**GOOD, name: ""}, headers=AUTH)
        refused = response.status_code == 422 and name in response.get_json()["errors"]
        assert refused == (prop.get("minLength", 0) >= 1), name
    product = schema["properties"]["lines"]["items"]["properties"]["product"]
    response = client.post("/api/orders", json={**GOOD, "lines": [{"product": "", "quantity": 1}]},
                           headers=AUTH)
    assert response.status_code == 422 and product["minLength"] == 1
