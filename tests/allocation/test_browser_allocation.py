"""End to end in Chromium: 【去分配】 → tick two → 已分配 → 【下一步】 → 确认分配 → 分配成功 →
【查看已分配结果】, and the authorization email arrives over real SMTP."""
import time

import pytest
from factories import add_enterprises, first_line
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

    assert page.get_by_text("勾选会自动保存，刷新页面不会丢失").is_visible()  # htmx is there
    assert not page.get_by_text("勾选后请点击【保存勾选】保存").is_visible()
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
    # the back button: the committed result again, not two contradictory errors
    page.go_back()
    page.get_by_text("本次分配已确认完成").wait_for()
    assert page.get_by_role("heading", name="分配成功").is_visible()
    assert page.get_by_text("请先勾选要分配的企业").count() == 0
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


def test_keyboard_only_tick_is_announced_in_the_live_region(live_server, make_admin, page):
    """Skip link, then Tab to the first box, Space: the row says 已分配, the status region (the
    same element as before, updated in place) says it too, and the focus stays on the box."""
    server = live_server()
    info = make_admin(customer="苏州键盘测试有限公司", email="keys@example.com", order_no="SO-KEYS")
    add_enterprises(server.app, info["tenant_id"], 2, name="键盘企业")
    browser_login(page, server, info["email"])
    line_id = first_line(server.app, info["order_id"])
    page.goto(server.url + f"/orders/{info['order_id']}/lines/{line_id}/allocate")
    page.get_by_role("heading", name="勾选税号分配使用组织").wait_for()
    page.wait_for_load_state()
    page.evaluate("document.getElementById('alloc-status').dataset.original = 'yes'")

    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    box = page.get_by_label("键盘企业00000有限公司")
    for _ in range(12):  # search box, its button, then the first box
        page.keyboard.press("Tab")
        if box.evaluate("el => el === document.activeElement"):
            break
    assert box.evaluate("el => el === document.activeElement"), "Tab never reached the first box"
    page.keyboard.press("Space")
    page.get_by_role("row", name="键盘企业00000有限公司").get_by_text("已分配").wait_for()
    live = page.locator("#alloc-status")
    live.get_by_text("本次分配状态：已分配").wait_for()
    assert live.get_attribute("role") == "status"
    assert live.inner_text() == "【键盘企业00000有限公司】本次分配状态：已分配。已选 1 / 可分配 2。"
    assert page.evaluate("document.getElementById('alloc-status').dataset.original") == "yes"
    assert page.get_by_label("键盘企业00000有限公司").evaluate("el => el === document.activeElement")
    page.keyboard.press("Space")  # and back
    live.get_by_text("本次分配状态：未分配").wait_for()
    page.audit()

    # the search box keeps the focus through its swap
    page.locator("#alloc-q").fill("00001")
    page.locator("#alloc-q").press("Enter")
    page.get_by_role("row", name="键盘企业00000有限公司").wait_for(state="detached")
    assert page.evaluate("document.activeElement.id") == "alloc-q"


def test_without_javascript_the_panel_promises_no_auto_save(live_server, make_admin, browser):
    server = live_server()
    info = make_admin(customer="苏州无脚本有限公司", email="nojs@example.com", order_no="SO-NOJS")
    add_enterprises(server.app, info["tenant_id"], 1, name="无脚本企业")
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, server, info["email"])
        page.goto(server.url + f"/orders/{info['order_id']}")
        page.get_by_role("row", name="发票云开票").get_by_role("link", name="去分配").click()
        page.get_by_role("heading", name="勾选税号分配使用组织").wait_for()
        assert not page.get_by_text("勾选会自动保存").is_visible()
        assert page.get_by_text("勾选后请点击【保存勾选】保存").is_visible()
        page.get_by_label("无脚本企业00000有限公司").check()
        page.get_by_role("button", name="保存勾选").click()
        page.get_by_text("已保存勾选：已选 1 家").wait_for()
    finally:
        context.close()
