"""End to end in Chromium: 【去分配】 → tick two → 已分配 → 【下一步】 → 确认分配 → 分配成功 →
【查看已分配结果】, and the authorization email arrives over real SMTP."""
import time

import pytest
from factories import add_enterprises
from fixtures.browser import browser_login
from fixtures.smtp import text_of

pytestmark = pytest.mark.browser


def test_allocate_two_enterprises_in_the_browser(live_server, smtp_server, make_admin, page):
    server = live_server(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                         OUTBOX_SENDER="thread", OUTBOX_POLL_SECONDS=0.2)
    info = make_admin(customer="杭州分配测试有限公司", email="alloc@example.com", order_no="SO-ALLOC")
    add_enterprises(server.app, info["tenant_id"], 4, name="浏览器企业")

    browser_login(page, server, info["email"])
    page.goto(server.url + f"/orders/{info['order_id']}")
    page.get_by_role("heading", name="分配权益").wait_for()
    page.shot("order")
    page.get_by_role("row", name="发票云开票").get_by_role("link", name="去分配").click()
    page.get_by_role("heading", name="勾选税号分配使用组织").wait_for()
    page.wait_for_load_state()  # htmx binds the boxes on load; a tick before that is a no-op

    for name in ("浏览器企业00001有限公司", "浏览器企业00002有限公司"):
        page.get_by_label(name).check()
        row = page.get_by_role("row", name=name)
        row.get_by_text("已分配").wait_for()
    assert page.locator("#alloc-selected").inner_text() == "2"
    assert page.locator("#alloc-available").inner_text() == "1"
    assert page.get_by_role("row", name="浏览器企业00000有限公司").get_by_text("未分配").is_visible()
    page.shot("ticked")

    page.reload()  # the ticks are a draft on the server
    assert page.get_by_label("浏览器企业00001有限公司").is_checked()

    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="确认分配").wait_for()
    assert "不可自行撤销" in page.content()
    page.shot("confirm")
    page.get_by_role("button", name="确认分配").click()
    page.get_by_role("heading", name="分配成功").wait_for()
    assert page.get_by_role("link", name="立即查看").is_visible()
    page.shot("success")
    page.get_by_role("link", name="查看已分配结果").click()
    page.get_by_role("heading", name="已分配结果").wait_for()
    content = page.content()
    assert "浏览器企业00001有限公司" in content and "浏览器企业00002有限公司" in content
    assert "浏览器企业00000有限公司" not in content
    page.shot("results")

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mails = [m for m in smtp_server.inbox.messages if "授权邮件" in m["Subject"]]
        if mails:
            break
        time.sleep(0.1)
    assert mails, "the authorization email did not arrive"
    assert mails[0]["To"] == "alloc@example.com"
    text = text_of(mails[0])
    assert "浏览器企业00001有限公司" in text and "浏览器企业00002有限公司" in text
    assert "浏览器企业00000有限公司" not in text


def test_the_quota_disables_the_rest_in_the_browser(live_server, make_admin, page):
    server = live_server()
    info = make_admin(customer="苏州配额测试有限公司", email="quota@example.com", order_no="SO-QUOTA")
    add_enterprises(server.app, info["tenant_id"], 3, name="配额企业")
    browser_login(page, server, info["email"])
    page.goto(server.url + f"/orders/{info['order_id']}")
    page.audit()
    page.get_by_role("row", name="发票云收票").get_by_role("link", name="去分配").click()
    page.get_by_role("heading", name="勾选税号分配使用组织").wait_for()
    page.wait_for_load_state()

    page.get_by_label("配额企业00000有限公司").check()
    page.get_by_role("row", name="配额企业00000有限公司").get_by_text("已分配").wait_for()
    page.get_by_label("配额企业00001有限公司").check()
    page.get_by_role("row", name="配额企业00001有限公司").get_by_text("已分配").wait_for()
    # 可分配 reached 0: the remaining box is disabled at once, without a reload.
    page.wait_for_function("!!document.querySelector('#alloc-rows input[disabled]')")
    third = page.get_by_label("配额企业00002有限公司")
    assert third.is_disabled()
    assert page.locator("#alloc-available").inner_text() == "0"
    page.shot("full")
    # Unticking frees the quota and enables it again.
    page.get_by_label("配额企业00000有限公司").uncheck()
    page.get_by_role("row", name="配额企业00000有限公司").get_by_text("未分配").wait_for()
    page.wait_for_function("!document.querySelector('#alloc-rows input[disabled]')")
    assert third.is_enabled()
    assert page.locator("#alloc-available").inner_text() == "1"
