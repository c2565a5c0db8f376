"""Hostile input, property-based: every form and query argument gets random Unicode, control
characters, overlong text, script tags and SQL fragments. Each answer is a 4xx or a page that
shows the value escaped; never a 5xx, on both databases. And every route with an id answers 404
for another tenant's id."""
import pytest
from factories import PASSWORD, add_enterprises, first_line, login, tax_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.extensions import db

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [
    SCRIPT, "\"><img src=x onerror=alert(1)>", "' OR '1'='1' --", "'; DROP TABLE \"user\"; --",
    "1 UNION SELECT password_hash FROM \"user\"", "%", "_", "\\", "\x00", "a\x00b", "\x1b[31m",
    "\u202e", "\ufeff", "\u200b", "𠜎𠜱", "{{ 7*7 }}", "${7*7}", "../../etc/passwd", "9" * 40,
    "-1", "0", "²", "①", "长" * 300, "x" * 5000, " ", "\r\n", "\t",
]
# Surrogates are left out: a browser cannot send them in a form or URL (the API has its own test).
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=150, max_size=600),
)
# The function-scoped fixtures set up the world once per test; every example reuses it (and
# may add to it), which is what a hostile client does too.
FUZZ = settings(max_examples=10, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture
def world(app, make_admin, make_batch, make_staff):
    """Tenant A (signed in by the tests) and tenant B, each with an order, allocated
    enterprises and credentials; an ops account."""
    from webapp.credentials import service as credentials
    from webapp.models import Credential, Enterprise

    a = make_admin()
    b = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    for info in (a, b):
        info["line"] = first_line(app, info["order_id"])
        info["batch"], info["enterprises"] = make_batch(info, count=2)
        info["spare"] = add_enterprises(app, info["tenant_id"], 1, start=500 + info["tenant_id"])
        with app.app_context():
            cred = credentials.ensure_enterprise_credential(
                db.session.get(Enterprise, info["enterprises"][0]))
            db.session.commit()
            info["credential"] = cred.id
            assert db.session.get(Credential, cred.id) is not None
    return {"a": a, "b": b, "ops": make_staff("ops")}


def _check(response, value):
    assert response.status_code < 500, (response.status_code, repr(value)[:200])
    body = response.get_data(as_text=True)
    assert SCRIPT not in body and "<img src=x" not in body


def _tenant_requests(a):
    order, line = a["order_id"], a["line"]
    panel = f"/orders/{order}/lines/{line}"
    ent = str(a["spare"][0])
    business = {"legal_rep": "", "registered_capital": "", "established_on": "", "reg_status": "",
                "company_type": "", "address": "", "authority": "", "business_scope": ""}
    return {
        "enterprises.q": ("GET", "/enterprises/", {"q": None}),
        "enterprises.after": ("GET", "/enterprises/", {"after": None}),
        "autofill.q": ("GET", "/enterprises/autofill", {"q": None}),
        "autofill.tax_id": ("GET", "/enterprises/autofill", {"tax_id": None}),
        "autofill.pick": ("GET", "/enterprises/new", {"pick": None}),
        "credentials.q": ("GET", "/credentials/", {"q": None}),
        "entitlements.q": ("GET", "/entitlements/", {"q": None, "product": "issue"}),
        "entitlements.product": ("GET", "/entitlements/", {"product": None}),
        "entitlements.after": ("GET", "/entitlements/", {"after": None}),
        "export.q": ("GET", f"/entitlements/tenants/{a['tenant_id']}/export.csv", {"q": None}),
        "audit.actor": ("GET", "/entitlements/audit", {"actor": None}),
        "audit.action": ("GET", "/entitlements/audit", {"action": None}),
        "audit.date_from": ("GET", "/entitlements/audit", {"date_from": None}),
        "audit.before": ("GET", "/entitlements/audit", {"before": None}),
        "requests.after": ("GET", "/requests/", {"after": None}),
        "move.tax_id": ("GET", "/requests/move", {"tax_id": None}),
        "move.reason": ("POST", "/requests/move", {"tax_id": tax_id(3), "reason": None}),
        "panel.q": ("GET", f"{panel}/allocate", {"q": None}),
        "panel.after": ("GET", f"{panel}/allocate", {"after": None}),
        "results.after": ("GET", f"/orders/{order}/allocations", {"after": None}),
        "toggle.enterprise_id": ("POST", f"{panel}/toggle", {"enterprise_id": None}),
        "toggle.q": ("POST", f"{panel}/toggle", {"enterprise_id": ent, "q": None,
                                                 "after": None}),
        "draft.page_ids": ("POST", f"{panel}/draft", {"page_ids": None, "selected": None}),
        "draft.action": ("POST", f"{panel}/draft", {"page_ids": ent, "action": None,
                                                    "next_cursor": None}),
        "commit.token": ("POST", f"{panel}/commit", {"token": None}),
        "new.name": ("POST", "/enterprises/new", {"name": None, "tax_id": tax_id(801),
                                                  **business}),
        "new.tax_id": ("POST", "/enterprises/new", {"name": "苏州新企业有限公司", "tax_id": None,
                                                    **business}),
        "new.business": ("POST", "/enterprises/new", {
            "name": "苏州业务企业有限公司", "tax_id": tax_id(802),
            **{k: None for k in business}}),
        "reveal.field": ("POST", f"/credentials/{a['credential']}/reveal/x", {}),
        "rotate.confirmed": ("POST", f"/credentials/{a['credential']}/rotate",
                             {"confirmed": None}),
    }


def _staff_requests(world):
    b = world["b"]
    order = b["order_id"]
    return {
        "support.q": ("GET", "/support/", {"q": None}),
        "support.after": ("GET", "/support/", {"after": None}),
        "find.customer": ("GET", "/support/find", {"customer": None, "order_no": "SO-1"}),
        "find.order_no": ("GET", "/support/find", {"customer": "杭州另一集团有限公司",
                                                   "order_no": None}),
        "staff_entitlements.q": ("GET", "/entitlements/", {"q": None}),
        "tenant.q": ("GET", f"/entitlements/tenants/{b['tenant_id']}", {"q": None}),
        "staff_audit.actor": ("GET", "/entitlements/audit", {"actor": None, "action": None}),
        "new_order.customer": ("POST", "/support/orders/new", {
            "order_no": None, "customer": None, "contact_email": "buyer@example.com",
            "sales": None, "qty_issue": "1"}),
        "new_order.email": ("POST", "/support/orders/new", {
            "order_no": "SO-FUZZ", "customer": "苏州客户有限公司", "contact_email": None,
            "valid_until": None, "qty_issue": None}),
        "resend.reason": ("POST", f"/support/orders/{order}/resend", {"reason": None}),
        "contact_email": ("POST", f"/support/orders/{order}/contact-email",
                          {"contact_email": None, "reason": None}),
    }


def _send(client, method, url, fields, value, **kw):
    data = {k: (value if v is None else v) for k, v in fields.items()}
    if method == "GET":
        return client.get(url, query_string=data, **kw)
    return client.post(url, data=data, **kw)


TENANT_CASES = sorted(_tenant_requests({"order_id": 1, "line": 1, "spare": [1],
                                        "tenant_id": 1, "credential": 1}))
STAFF_CASES = sorted(_staff_requests({"b": {"order_id": 1, "tenant_id": 1}}))


@pytest.mark.parametrize("case", TENANT_CASES)
def test_tenant_admin_inputs(app, client, world, case):
    login(client, world["a"]["email"])
    method, url, fields = _tenant_requests(world["a"])[case]

    @FUZZ
    @given(value=VALUES, htmx=st.booleans())
    def probe(value, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        _check(_send(client, method, url, fields, value, headers=headers), value)

    probe()
    # whatever was saved is shown escaped
    for page in ("/enterprises/", "/entitlements/audit", "/requests/"):
        _check(client.get(page), page)


@pytest.mark.parametrize("case", STAFF_CASES)
def test_staff_inputs(app, client, world, case):
    login(client, world["ops"])
    method, url, fields = _staff_requests(world)[case]

    @FUZZ
    @given(value=VALUES)
    def probe(value):
        _check(_send(client, method, url, fields, value), value)

    probe()
    for page in ("/support/", "/entitlements/audit"):
        _check(client.get(page), page)


@pytest.mark.parametrize("field", ["email", "password"])
def test_login_inputs(app, world, field):
    @FUZZ
    @given(value=VALUES, n=st.integers(1, 250))
    def probe(value, n):
        data = {"email": world["a"]["email"], "password": PASSWORD, field: value}
        response = app.test_client().post("/login", data=data,
                                          environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        _check(response, value)

    probe()


def test_activation_inputs(app, make_order):
    from factories import link_and_key, outbox_text

    make_order()
    link, _ = link_and_key(outbox_text(app))

    @FUZZ
    @given(value=VALUES, path=st.sampled_from(["/key", "/erp", "/complete", ""]))
    def probe(value, path):
        client = app.test_client()
        if path == "":
            response = client.get(f"/activate/{value[:300]}" if value.strip("/.") else "/activate/x")
        else:
            response = client.post(f"{link}{path}", data={
                "key": value, "erp": value, "deployment": value, "password": value,
                "confirm": value})
        _check(response, value)

    probe()


def test_path_values_are_never_a_500(app, client, world):
    login(client, world["a"]["email"])

    @FUZZ
    @given(ident=st.one_of(st.integers(-10, 2**70), st.sampled_from(["²", "①", "1e3", "0x10"])))
    def probe(ident):
        for url in (f"/orders/{ident}", f"/enterprises/{ident}",
                    f"/orders/{ident}/lines/{ident}/allocate", f"/entitlements/tenants/{ident}"):
            response = client.get(url)
            assert response.status_code in (200, 404), (url, response.status_code)

    probe()


def _cross_tenant_routes(a, b):
    """Tenant A's admin asking for tenant B's objects (and mixtures of A's and B's ids)."""
    ob, lb, eb = b["order_id"], b["line"], b["enterprises"][0]
    mixed = f"/orders/{a['order_id']}/lines/{lb}"
    routes = [("GET", f"/orders/{ob}"), ("GET", f"/orders/{ob}/allocations"),
              ("GET", f"/orders/{ob}/batches/{b['batch']}"),
              ("GET", f"/orders/{a['order_id']}/batches/{b['batch']}"),
              ("GET", f"/enterprises/{eb}"),
              ("GET", f"/entitlements/tenants/{b['tenant_id']}"),
              ("GET", f"/entitlements/tenants/{b['tenant_id']}/export.csv"),
              ("POST", f"/credentials/enterprise/{eb}/generate"),
              ("POST", f"/credentials/{b['credential']}/reveal/client_secret"),
              ("GET", f"/credentials/{b['credential']}/rotate"),
              ("POST", f"/credentials/{b['credential']}/rotate")]
    for base in (f"/orders/{ob}/lines/{lb}", mixed):
        routes += [("GET", f"{base}/allocate"), ("POST", f"{base}/toggle"),
                   ("POST", f"{base}/draft"), ("GET", f"{base}/confirm"),
                   ("POST", f"{base}/commit")]
    return routes


def test_every_route_with_an_id_is_404_for_another_tenants_id(app, client, world):
    from webapp.models import AuditEntry, Credential

    login(client, world["a"]["email"])
    a, b = world["a"], world["b"]
    for method, url in _cross_tenant_routes(a, b):
        data = {"enterprise_id": str(b["enterprises"][1]), "selected": str(b["enterprises"][1]),
                "page_ids": str(b["enterprises"][1]), "confirmed": "yes", "token": "x"}
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 404, (method, url, response.status_code)
    with app.app_context():
        assert db.session.get(Credential, b["credential"]).tenant_id == b["tenant_id"]
        assert not db.session.query(AuditEntry).filter(
            AuditEntry.action.like("credential%"), AuditEntry.tenant_id == b["tenant_id"],
            AuditEntry.actor_id == a["user_id"]).count()
