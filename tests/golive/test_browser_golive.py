"""In Chromium: the tenant overview shows 连接已验证 once an ERP-style client passed the check;
接入指引's copy button strips whitespace."""
import pytest
from erp_client import ErpClient
from factories import allocate
from fixtures.browser import browser_login

from webapp.credentials import service as credentials

pytestmark = pytest.mark.browser


def test_overview_moves_to_verified_after_a_check(live_server, make_admin, make_batch, page):
    server = live_server()
    admin = make_admin()
    first, second = allocate(server.app, admin, make_batch, count=2)
    with server.app.app_context():
        values = credentials.reveal(credentials.enterprise_credential(first))
    browser_login(page, server, admin["email"])
    page.wait_for_url("**/home")
    unverified = page.locator("#unverified")
    assert unverified.locator("tbody tr").count() == 2
    page.get_by_text("还有 2 家企业尚未验证连接").wait_for()

    erp = ErpClient(server.url, values["client_id"], values["client_secret"], values["encry_key"],
                    enc_type=2, millis=True)
    assert erp.echo_call(erp.token(), {"hello": "world"}).json()["errcode"] == "0000"

    page.reload()
    page.get_by_text("还有 1 家企业尚未验证连接").wait_for()
    assert unverified.locator("tbody tr").count() == 1
    assert page.locator("#overview-facts").get_by_text("1 家企业").first.is_visible()
    page.shot("tenant-overview")

    page.get_by_role("link", name="查看接入指引").click()
    row = page.locator(f"#enterprise-{first}")
    row.get_by_text("连接已验证").wait_for()
    page.audit()
    assert "来自 127.0.0.1" in row.inner_text()
    assert "已分配" in page.locator(f"#enterprise-{second}").inner_text()


def test_setup_card_copies_values_without_whitespace(live_server, make_admin, make_batch, page):
    server = live_server()
    admin = make_admin()
    (enterprise_id,) = allocate(server.app, admin, make_batch, count=1)
    with server.app.app_context():
        cred = credentials.enterprise_credential(enterprise_id)
        cred_id, secret = cred.id, credentials.reveal(cred)["client_secret"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    browser_login(page, server, admin["email"])
    page.wait_for_url("**/home")
    page.goto(f"{server.url}/golive/setup/{enterprise_id}")
    page.get_by_role("heading", name="接入指引：星空 · 正式环境").wait_for()
    assert secret not in page.content()
    page.locator(f"#cred-{cred_id}-client_secret").get_by_role("button", name="显示").click()
    page.locator(f"#cred-{cred_id}-client_secret-value").wait_for()
    # a value shown with stray whitespace (as a mail client or a line wrap would add it)
    page.locator(f"#cred-{cred_id}-client_secret-value").evaluate(
        "el => el.textContent = ' ' + el.textContent.slice(0, 5) + '\\n ' + el.textContent.slice(5) + ' '")
    page.locator(f"#cred-{cred_id}-client_secret").get_by_role("button", name="复制").click()
    page.get_by_text("已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.shot("setup-card")
