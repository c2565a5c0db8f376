"""CSRF, sessions, headers, login limits, configuration guards and the development mailbox."""
import os
import re
import uuid

import pytest
from factories import PASSWORD, count, csrf_token, link_and_key, login, outbox_text
from fixtures.database import BASE_CONFIG, needs

from webapp import create_app
from webapp.extensions import db
from webapp.models import AuditEntry, Order


def test_activation_post_without_csrf_token_changes_nothing(make_app, make_order):
    app = make_app(WTF_CSRF_ENABLED=True)
    order_id, _ = make_order()
    link, key = link_and_key(outbox_text(app))
    client = app.test_client()
    client.get(link)
    response = client.post(f"{link}/key", data={"key": key})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert count(app, AuditEntry, AuditEntry.action == "activation.key_accepted") == 0

    # with the page's token the same post works
    token = csrf_token(client, link)
    assert client.post(f"{link}/key", data={"key": key, "csrf_token": token}).status_code == 303


def test_htmx_csrf_failure_asks_for_a_refresh(make_app, make_order):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_order()
    link, key = link_and_key(outbox_text(app))
    client = app.test_client()
    response = client.post(f"{link}/key", data={"key": key},
                           headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert response.status_code == 400 and response.headers["HX-Refresh"] == "true"
    # the token htmx sends from <body hx-headers> is accepted
    token = csrf_token(client, link)
    response = client.post(f"{link}/key", data={"key": key},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 303


def test_replayed_activation_after_completion_changes_nothing(app, client, make_order):
    order_id, _ = make_order()
    link, key = link_and_key(outbox_text(app))
    client.post(f"{link}/key", data={"key": key})
    client.post(f"{link}/erp", data={"erp": "eas", "deployment": "public"})
    form = {"password": PASSWORD, "confirm": PASSWORD}
    assert client.post(f"{link}/complete", data=form).status_code == 303
    other = app.test_client()
    other.post(f"{link}/key", data={"key": key})
    response = other.post(f"{link}/complete", data=form)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(app, AuditEntry, AuditEntry.action == "order.activated") == 1


def test_security_headers_and_cookie_flags(app, client, make_admin):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html
    assert re.search(r'src="/static/vendor/htmx\.min\.[0-9a-f]{12}\.js"', html)
    assert "unpkg" not in html and "cdn" not in html.lower()
    admin = make_admin()
    response = client.post("/login", data={"email": admin["email"], "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers.get("Strict-Transport-Security") is None  # served over http here


def test_https_deployments_add_hsts_and_a_views_own_header_stands(make_app):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers.getlist("Content-Security-Policy") == [page.headers[
        "Content-Security-Policy"]]  # once
    static = client.get("/static/favicon.svg")
    assert static.headers["Cache-Control"] == "no-cache"  # the static view's own, kept
    assert static.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_htmx_is_served_locally(client):
    with client.get("/static/vendor/htmx.min.js") as response:
        assert response.status_code == 200
        assert b'version:"2.0' in response.data


def test_login_failures_are_limited(app, client, make_admin):
    admin = make_admin()
    for _ in range(10):
        response = client.post("/login", data={"email": admin["email"], "password": "wrong-pass-1"})
        assert response.status_code == 422
        assert "邮箱或密码错误" in response.get_data(as_text=True)
    response = client.post("/login", data={"email": admin["email"], "password": PASSWORD})
    assert response.status_code == 429 and "分钟后再试" in response.get_data(as_text=True)
    assert count(app, AuditEntry, AuditEntry.action == "auth.login_failed") == 10


def test_login_does_not_redirect_off_site(app, client, make_admin):
    admin = make_admin()
    response = client.post("/login?next=//evil.example/x",
                           data={"email": admin["email"], "password": PASSWORD})
    assert response.status_code == 303 and "evil" not in response.headers["Location"]


def test_logout_is_a_post_and_audited(app, client, make_admin):
    admin = make_admin()
    login(client, admin["email"])
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/home").status_code == 302
    assert count(app, AuditEntry, AuditEntry.action == "auth.logout") == 1


def test_pages_require_login_and_htmx_gets_hx_redirect(client, make_admin):
    admin = make_admin()
    response = client.get(f"/orders/{admin['order_id']}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.get(f"/orders/{admin['order_id']}", headers={"HX-Request": "true"})
    assert "/login" in response.headers["HX-Redirect"]


def test_other_tenant_order_is_404(app, make_admin):
    first = make_admin(customer="甲公司", email="a@example.com")
    second = make_admin(customer="乙公司", email="b@example.com")
    client = app.test_client()
    login(client, second["email"])
    assert client.get(f"/orders/{first['order_id']}").status_code == 404
    assert client.get(f"/orders/{second['order_id']}").status_code == 200


def test_staff_cannot_open_tenant_admin_pages(client, make_admin, make_staff):
    admin = make_admin()
    login(client, make_staff("support"))
    assert client.get(f"/orders/{admin['order_id']}").status_code == 403


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATA_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_secrets(missing, monkeypatch):
    for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    config = {**BASE_CONFIG, "APP_ENV": "production", missing: None}
    with pytest.raises(RuntimeError, match=missing):
        create_app(config)


def test_bad_encryption_key_is_refused():
    with pytest.raises(RuntimeError, match="Fernet"):
        create_app({**BASE_CONFIG, "DATA_ENCRYPTION_KEY": "not-a-key"})


def test_development_mailbox_only_without_mail_server(make_app, make_order):
    make_order(order_no="SO-DEV")
    dev = make_app(DEV_MAILBOX=True)
    client = dev.test_client()
    page = client.get("/dev/mailbox").get_data(as_text=True)
    assert "SO-DEV" in page
    import re

    email_url = re.search(r'href="(/dev/mailbox/\d+)"', page).group(1)
    email_page = client.get(email_url).get_data(as_text=True)
    link, key = link_and_key(outbox_text(dev))
    assert key in email_page and f'href="http://portal.test{link}"' in email_page
    assert client.get(email_url + "/html").headers["Content-Security-Policy"].startswith(
        "default-src 'none'")
    assert make_app(DEV_MAILBOX=True, MAIL_SERVER="127.0.0.1").test_client().get(
        "/dev/mailbox").status_code == 404
    assert make_app(DEV_MAILBOX=False).test_client().get("/dev/mailbox").status_code == 404


def test_wrong_key_limit_is_shared_through_redis(make_app, make_order):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        needs("Redis", "TEST_REDIS_URL is not set")
    make_order()
    namespace_ip = f"10.{uuid.uuid4().int % 250}.0.1"
    first = make_app(REDIS_URL=url)
    second = make_app(REDIS_URL=url)
    link, key = link_and_key(outbox_text(first))
    env = {"REMOTE_ADDR": namespace_ip}
    with first.app_context():
        order = db.session.query(Order).one()
        first.extensions["failure_limiter"].storage.clear(f"order:{order.id}")
    for _ in range(5):
        first.test_client().post(f"{link}/key", data={"key": "WRONG"}, environ_overrides=env)
    # another process (another app) sees the same count
    response = second.test_client().post(f"{link}/key", data={"key": key}, environ_overrides=env)
    assert response.status_code == 429


def test_staff_home_points_each_role_at_its_work(client, make_staff):
    login(client, make_staff("ops"))
    page = client.get("/home").get_data(as_text=True)
    assert "客服工作台" in page and "新建订单" in page
    other = client.application.test_client()
    login(other, make_staff("support"))
    page = other.get("/home").get_data(as_text=True)
    assert "客服工作台" in page and "新建订单" not in page


def test_production_hashes_passwords_with_scrypt():
    """Only the suite swaps in a cheap hash; an app configured as in production keeps scrypt."""
    from webapp.models import User

    config = {k: v for k, v in BASE_CONFIG.items() if k != "PASSWORD_HASH_METHOD"}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        user = User(email="a@example.com", role="ops")
        user.set_password("secret-pass-1")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("secret-pass-1")
