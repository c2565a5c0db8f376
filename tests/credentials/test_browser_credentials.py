"""In Chromium: 授权信息 — 显示 swaps the value in (htmx), 复制 copies it, 重置密钥 asks first."""
import pytest
from factories import allocate
from fixtures.browser import browser_login
from sqlalchemy import select

from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import AuditEntry, Credential

pytestmark = pytest.mark.browser


def test_reveal_copy_and_rotate(live_server, make_admin, make_batch, page):
    server = live_server()
    admin = make_admin()
    allocate(server.app, admin, make_batch, count=1)
    with server.app.app_context():
        cred = credentials.tenant_credential(admin["tenant_id"])
        cred_id, secret = cred.id, credentials.reveal(cred)["client_secret"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    browser_login(page, server, admin["email"])
    page.wait_for_url("**/home")
    page.get_by_role("link", name="授权信息").click()
    page.get_by_role("heading", name="查看租户授权信息").wait_for()
    assert secret not in page.content()

    tenant_card = page.locator("#tenant-credential-production")
    tenant_card.locator(f"#cred-{cred_id}-client_secret").get_by_role("button", name="显示").click()
    value = page.locator(f"#cred-{cred_id}-client_secret-value")
    value.wait_for()
    assert value.inner_text() == secret
    assert page.url.endswith("/credentials/")  # swapped in place, no navigation
    # 显示 is gone: the focus is on the value's 复制, not lost to <body>
    page.wait_for_function("document.activeElement.textContent === '复制'")  # after htmx settles
    assert page.evaluate("!!document.activeElement.closest('#cred-%d-client_secret')" % cred_id)
    page.locator(f"#cred-{cred_id}-client_secret").get_by_role("button", name="复制").click()
    page.get_by_text("已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.shot("revealed")

    # 重置密钥: dismissing the confirmation changes nothing
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.once("dialog", lambda dialog: dialog.dismiss())
    tenant_card.get_by_role("button", name="重置密钥").click()
    # a later request proves the dismissed one would have gone out by now
    tenant_card.locator(f"#cred-{cred_id}-encry_key").get_by_role("button", name="显示").click()
    page.locator(f"#cred-{cred_id}-encry_key-value").wait_for()
    assert not [url for url in posts if url.endswith("/rotate")]
    with server.app.app_context():
        assert credentials.reveal(db.session.get(Credential, cred_id))["client_secret"] == secret
    # accepting it rotates and says so
    page.once("dialog", lambda dialog: dialog.accept())
    tenant_card.get_by_role("button", name="重置密钥").click()
    page.get_by_text("密钥已重置").wait_for()
    page.shot("rotated")
    with server.app.app_context():
        new_secret = credentials.reveal(db.session.get(Credential, cred_id))["client_secret"]
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert new_secret != secret and actions.count("credential.rotated") == 1
    tenant_card.locator(f"#cred-{cred_id}-client_secret").get_by_role("button", name="显示").click()
    assert page.locator(f"#cred-{cred_id}-client_secret-value").inner_text() == new_secret


def test_rotate_without_javascript_has_a_confirm_step(live_server, make_admin, make_batch, browser):
    server = live_server()
    admin = make_admin()
    make_batch(admin, count=1)
    with server.app.app_context():
        cred_id = credentials.ensure_tenant_credential(admin["tenant_id"]).id
        db.session.commit()
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, server, admin["email"])
        page.wait_for_url("**/home")
        page.goto(server.url + "/credentials/")
        page.locator(f"#cred-{cred_id}-encry_key").get_by_role("button", name="显示").click()
        with server.app.app_context():
            key = credentials.reveal(db.session.get(Credential, cred_id))["encry_key"]
        page.locator(f"#cred-{cred_id}-encry_key-value").wait_for()
        assert page.locator(f"#cred-{cred_id}-encry_key-value").inner_text() == key
        page.locator("#tenant-credential-production").get_by_role("button", name="重置密钥").click()
        page.get_by_role("heading", name="确认重置密钥").wait_for()
        with server.app.app_context():  # not yet
            assert credentials.reveal(db.session.get(Credential, cred_id))["encry_key"] == key
        page.get_by_role("button", name="确认重置").click()
        page.get_by_text("密钥已重置").wait_for()
        with server.app.app_context():
            assert credentials.reveal(db.session.get(Credential, cred_id))["encry_key"] != key
    finally:
        context.close()
