"""查看租户授权信息 through HTTP: two scopes, 显示 (audited), 重置密钥, isolation, CSRF."""
import re

import pytest
from factories import allocate, csrf_token, login
from fixtures.smtp import html_of, text_of
from sqlalchemy import select

from webapp.core import outbox
from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import AuditEntry, Credential, OutboxEmail

HX = {"HX-Request": "true"}


def creds_of(app, tenant_id):
    """{credential id: revealed values} for every credential of a tenant."""
    with app.app_context():
        rows = db.session.scalars(select(Credential).where(Credential.tenant_id == tenant_id)).all()
        return {c.id: {**credentials.reveal(c), "enterprise_id": c.enterprise_id} for c in rows}


def shown(client, cred_id, field, headers=HX):
    """What 显示 answers: the value inside the swapped cell."""
    response = client.post(f"/credentials/{cred_id}/reveal/{field}", headers=headers)
    assert response.status_code == 200, response.status_code
    match = re.search(rf'id="cred-{cred_id}-{field}-value">([^<]+)<', response.get_data(as_text=True))
    return match.group(1)


def test_page_labels_both_scopes_and_masks_secrets(app, client, admin, make_batch):
    allocate(app, admin, make_batch)
    page = client.get("/credentials/").get_data(as_text=True)
    assert "查看租户授权信息" in page and "租户授权" in page and "企业授权（按企业税号）" in page
    all_creds = creds_of(app, admin["tenant_id"])
    assert len(all_creds) == 6  # the tenant's and two enterprises', each in both environments
    assert sorted(v["environment"] for v in all_creds.values()) == ["production"] * 3 + ["test"] * 3
    for values in all_creds.values():
        assert values["client_id"] in page
        assert values["client_secret"] not in page and values["encry_key"] not in page
    assert page.count(">显示<") == 12 and page.count(">重置密钥<") == 6
    # each set is labelled with its environment and the base URL it belongs to
    assert page.count("<td>测试环境</td>") == 2 and page.count("<td>正式环境</td>") == 2
    base = app.config["PUBLIC_BASE_URL"]
    assert f"测试环境接口地址：<code>{base}/test</code>" in page
    assert f"正式环境接口地址：<code>{base}</code>" in page
    assert "发票云开票" in page  # the products each enterprise holds
    assert 'href="/credentials/">授权信息</a>' in page


def test_reveal_with_htmx_swaps_the_value_and_is_audited(app, client, admin, make_batch):
    allocate(app, admin, make_batch)
    all_creds = creds_of(app, admin["tenant_id"])
    cred_id = next(i for i, v in all_creds.items() if v["enterprise_id"])
    assert shown(client, cred_id, "client_secret") == all_creds[cred_id]["client_secret"]
    assert shown(client, cred_id, "encry_key") == all_creds[cred_id]["encry_key"]
    fragment = client.post(f"/credentials/{cred_id}/reveal/encry_key", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and f'data-copy="#cred-{cred_id}-encry_key-value"' in fragment
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "credential.revealed").order_by(AuditEntry.id)).all()
        assert [(e.actor_id, e.target_type, e.target_id, e.detail["field"]) for e in entries] == [
            (admin["user_id"], "credential", cred_id, "client_secret"),
            (admin["user_id"], "credential", cred_id, "encry_key"),
            (admin["user_id"], "credential", cred_id, "encry_key")]
        assert all(e.actor_label == admin["email"] and e.tenant_id == admin["tenant_id"] for e in entries)


def test_reveal_without_javascript_renders_the_page_with_the_value(app, client, admin, make_batch):
    allocate(app, admin, make_batch)
    all_creds = creds_of(app, admin["tenant_id"])
    tenant_id = next(i for i, v in all_creds.items() if v["enterprise_id"] is None)
    response = client.post(f"/credentials/{tenant_id}/reveal/client_secret", data={"q": "测试"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page and "查看租户授权信息" in page
    assert all_creds[tenant_id]["client_secret"] in page
    assert all_creds[tenant_id]["encry_key"] not in page  # only the one asked for
    assert 'value="测试"' in page  # the search is kept


def test_unknown_field_or_credential_is_404(app, client, admin, make_batch):
    allocate(app, admin, make_batch)
    cred_id = next(iter(creds_of(app, admin["tenant_id"])))
    assert client.post(f"/credentials/{cred_id}/reveal/password").status_code == 404
    assert client.post(f"/credentials/{cred_id}/reveal/client_secret_enc").status_code == 404
    assert client.post("/credentials/999999/reveal/client_secret").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "credential.revealed")) == 0


def test_rotation_needs_a_confirm_step_without_javascript(app, client, admin, make_batch):
    allocate(app, admin, make_batch)
    before = creds_of(app, admin["tenant_id"])
    cred_id = next(iter(before))
    for response in (client.get(f"/credentials/{cred_id}/rotate"),
                     client.post(f"/credentials/{cred_id}/rotate")):
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "确认重置密钥" in page and "确认重置" in page
        assert 'name="confirmed" value="yes"' in page
    assert creds_of(app, admin["tenant_id"]) == before


def test_rotation_changes_the_secret_and_sends_a_new_email(app, client, admin, make_batch):
    allocate(app, admin, make_batch)
    before = creds_of(app, admin["tenant_id"])
    cred_id = next(i for i, v in before.items() if v["enterprise_id"])
    old = before[cred_id]
    response = client.post(f"/credentials/{cred_id}/rotate", data={"confirmed": "yes"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "密钥已重置" in page and "buyer@example.com" in page

    new_secret = shown(client, cred_id, "client_secret")
    new_key = shown(client, cred_id, "encry_key")
    assert new_secret != old["client_secret"] and new_key != old["encry_key"]
    assert len(new_key) == 16
    page = client.post(f"/credentials/{cred_id}/reveal/client_secret").get_data(as_text=True)
    assert old["client_secret"] not in page and new_secret in page
    # the other credentials are untouched
    after = creds_of(app, admin["tenant_id"])
    assert all(after[i] == before[i] for i in before if i != cred_id)
    assert after[cred_id]["client_id"] == old["client_id"]

    with app.app_context():
        emails = db.session.scalars(select(OutboxEmail).where(
            OutboxEmail.kind == "authorization").order_by(OutboxEmail.id)).all()
        assert len(emails) == 2 and emails[-1].to_addr == "buyer@example.com"
        text, html = outbox.body(emails[-1])
        rotated = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "credential.rotated")).all()
        assert [(e.actor_id, e.target_id) for e in rotated] == [(admin["user_id"], cred_id)]
    assert new_secret in text and new_key in html and old["client_secret"] not in text
    assert "请妥善保存授权邮件" in text and "企业授权" in text


def test_rotation_with_htmx_redirects(app, client, admin, make_batch):
    allocate(app, admin, make_batch)
    cred_id = next(iter(creds_of(app, admin["tenant_id"])))
    response = client.post(f"/credentials/{cred_id}/rotate", data={"confirmed": "yes"}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/credentials/"
    page = client.get("/credentials/").get_data(as_text=True)
    assert 'hx-vals=\'{"confirmed": "yes"}\'' in page and "hx-confirm=" in page


def test_another_tenant_gets_404_everywhere(app, make_admin, make_batch):
    first = make_admin()
    ids = allocate(app, first, make_batch)
    other = make_admin(customer="杭州另一家有限公司", email="other@example.com", order_no="SO-OTHER")
    allocate(app, other, make_batch)
    client = app.test_client()
    login(client, other["email"])
    page = client.get("/credentials/").get_data(as_text=True)
    for cred_id, values in creds_of(app, first["tenant_id"]).items():
        assert values["client_id"] not in page
        for field in ("client_secret", "encry_key"):
            assert client.post(f"/credentials/{cred_id}/reveal/{field}").status_code == 404
            assert client.post(f"/credentials/{cred_id}/reveal/{field}", headers=HX).status_code == 404
        assert client.get(f"/credentials/{cred_id}/rotate").status_code == 404
        assert client.post(f"/credentials/{cred_id}/rotate", data={"confirmed": "yes"}).status_code == 404
    assert client.post(f"/credentials/enterprise/{ids[0]}/generate").status_code == 404
    before = creds_of(app, first["tenant_id"])
    assert creds_of(app, first["tenant_id"]) == before
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.action.in_(("credential.revealed", "credential.rotated")))) == 0


@pytest.mark.parametrize("role", ["support", "approver", "ops"])
def test_staff_get_403(app, make_admin, make_batch, make_staff, role):
    admin = make_admin()
    allocate(app, admin, make_batch)
    client = app.test_client()
    login(client, make_staff(role))
    assert client.get("/credentials/").status_code == 403
    assert "授权信息</a>" not in client.get("/home").get_data(as_text=True)
    for cred_id in creds_of(app, admin["tenant_id"]):
        assert client.post(f"/credentials/{cred_id}/reveal/client_secret").status_code == 403
        assert client.post(f"/credentials/{cred_id}/rotate", data={"confirmed": "yes"}).status_code == 403
    assert client.post("/credentials/tenant/generate").status_code == 403


def test_signed_out_is_sent_to_login(app, admin, make_batch):
    allocate(app, admin, make_batch)
    client = app.test_client()
    response = client.get("/credentials/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    cred_id = next(iter(creds_of(app, admin["tenant_id"])))
    assert client.post(f"/credentials/{cred_id}/reveal/client_secret").status_code == 302


def test_csrf_is_enforced_on_reveal_and_rotate(make_app, make_admin, make_batch):
    app = make_app(WTF_CSRF_ENABLED=True)
    admin = make_admin()
    allocate(app, admin, make_batch)
    client = app.test_client()
    login(client, admin["email"], csrf=True)
    before = creds_of(app, admin["tenant_id"])
    cred_id = next(iter(before))
    assert client.post(f"/credentials/{cred_id}/reveal/client_secret").status_code == 400
    assert client.post(f"/credentials/{cred_id}/reveal/client_secret", headers=HX).headers.get("HX-Refresh") == "true"
    assert client.post(f"/credentials/{cred_id}/rotate", data={"confirmed": "yes"}).status_code == 400
    assert client.post(f"/credentials/{cred_id}/rotate",
                       data={"confirmed": "yes", "csrf_token": "forged"}).status_code == 400
    assert creds_of(app, admin["tenant_id"]) == before
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.action.in_(("credential.revealed", "credential.rotated")))) == 0
    # with the page's token (as the browser sends it) both work
    token = csrf_token(client, "/credentials/")
    response = client.post(f"/credentials/{cred_id}/reveal/client_secret",
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200 and before[cred_id]["client_secret"] in response.get_data(as_text=True)
    assert client.post(f"/credentials/{cred_id}/rotate",
                       data={"confirmed": "yes", "csrf_token": token}).status_code == 303
    assert creds_of(app, admin["tenant_id"])[cred_id]["client_secret"] != before[cred_id]["client_secret"]


def test_authorization_email_over_smtp_holds_what_the_page_reveals(make_app, make_admin, make_batch,
                                                                   smtp_server):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    admin = make_admin()
    enterprise_ids = allocate(app, admin, make_batch, count=3)
    with app.app_context():
        report = outbox.send_due()
    assert report.sent >= 2  # the activation email and the authorization email
    [message] = [m for m in smtp_server.inbox.messages if "授权邮件" in m["Subject"]]
    assert message["To"] == "buyer@example.com"
    text, html = text_of(message), html_of(message)

    client = app.test_client()
    login(client, admin["email"])
    all_creds = creds_of(app, admin["tenant_id"])
    assert {v["enterprise_id"] for v in all_creds.values()} == {None, *enterprise_ids}
    for cred_id, values in all_creds.items():
        for field in ("client_secret", "encry_key"):
            value = shown(client, cred_id, field)
            assert value in text and value in html
        assert values["client_id"] in text and values["client_id"] in html
    page = client.get("/credentials/").get_data(as_text=True)
    for match in re.findall(r'<td><code>(\d+[A-Z0-9]+)</code></td>', page):
        assert match in text  # every listed tax ID is in the email
    assert "请妥善保存授权邮件，后续配置需使用邮件中的信息" in text and "配置指引" in html
