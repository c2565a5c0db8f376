"""End to end in Chromium: a support agent finds an order by the customer's pair and resends."""
import pytest
from fixtures.browser import browser_login

pytestmark = pytest.mark.browser


def test_support_finds_an_order_and_resends_the_activation_email(live_server, make_order,
                                                                  make_staff, page):
    server = live_server()
    make_order(order_no="SO-WAIT", customer="苏州未交付有限公司", delivered=False)
    make_order(order_no="SO-B1", customer="苏州示例科技（集团）有限公司", email="b1@example.com")
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    browser_login(page, server, make_staff("support"))
    page.get_by_role("navigation").get_by_role("link", name="客服工作台").wait_for()

    page.get_by_role("navigation").get_by_role("link", name="客服工作台").click()
    # htmx binds the active search on load; typing before that would fire nothing.
    page.wait_for_load_state()
    page.get_by_label("订单号、下单企业全称或联系邮箱").fill("b1@")
    page.locator("#order-results").get_by_role("link", name="SO-WAIT").wait_for(state="detached")
    page.shot("search")

    page.get_by_label("下单企业全称", exact=True).fill("苏州示例科技 (集团) 有限公司")
    page.get_by_label("订单号", exact=True).fill("so-b1")
    page.get_by_role("button", name="查找订单").click()
    page.get_by_role("heading", name="订单 SO-B1").wait_for()
    assert page.locator("#contact-email").inner_text() == "b1@example.com"

    page.get_by_label("原因").first.fill("客户未收到激活邮件")
    page.get_by_role("button", name="重新推送激活邮件").click()
    page.get_by_text("已重新推送激活邮件至 b1@example.com").wait_for()
    assert page.locator("#email-history tbody tr").count() == 2
    page.shot("resent")

    # an undelivered order: the refusal shows in place (htmx, 422) with the seed's reason
    page.goto(server.url + "/support/?q=SO-WAIT")
    page.get_by_role("link", name="SO-WAIT").click()
    page.get_by_label("原因").first.fill("客户催促")
    page.get_by_role("button", name="重新推送激活邮件").click()
    page.get_by_text("订单尚未交付，请联系销售人员确认").wait_for()
    page.shot("refused")
    assert not [p for p in problems if "Content Security Policy" in p], problems
