"""End to end in Chromium: the activation email's link → 操作密钥 → 星空/公有云 → 【确认】 → password → 【去配置】."""
import pytest
from factories import link_and_key
from fixtures.smtp import text_of

pytestmark = pytest.mark.browser


def test_activation_from_the_email(live_server, smtp_server, make_order, page):
    server = live_server(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                         OUTBOX_SENDER="thread", OUTBOX_POLL_SECONDS=0.2)
    server.app.config["PUBLIC_BASE_URL"] = server.url
    make_order(order_no="SO-E2E", customer="杭州浏览器测试有限公司", email="e2e@example.com")
    page.goto(server.url + "/login")  # first request starts the outbox sender
    page.audit()
    page.wait_for_function("true")
    import time

    deadline = time.monotonic() + 15
    while not smtp_server.inbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert smtp_server.inbox.messages, "the activation email did not arrive"
    message = smtp_server.inbox.messages[0]
    assert message["To"] == "e2e@example.com"
    link, key = link_and_key(text_of(message))

    page.goto(server.url + link)
    titles = [page.title()]
    page.shot("key")
    # a wrong key: the title says so, the field is tied to its error and has the focus
    page.get_by_label("操作密钥").fill("AAAA-BBBB")
    page.get_by_role("button", name="进入产品激活").click()
    page.get_by_role("alert").get_by_text("操作密钥不正确").wait_for()
    assert page.title().startswith("错误：") and page.title().endswith(titles[0])
    field = page.get_by_label("操作密钥")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.evaluate("el => el === document.activeElement")
    error_id = field.get_attribute("aria-describedby")
    assert "操作密钥不正确" in page.locator(f"#{error_id}").inner_text()
    page.audit()

    field.fill(key)
    page.get_by_role("button", name="进入产品激活").click()
    page.get_by_text("选择对接ERP及部署方式").wait_for()
    titles.append(page.title())
    page.get_by_label("星空").check()
    page.get_by_label("公有云").check()
    page.shot("erp")
    page.get_by_role("button", name="确认").click()
    page.get_by_label("设置密码").wait_for()
    titles.append(page.title())
    page.audit()
    page.get_by_label("设置密码").fill("browser-pass-1")
    page.get_by_label("确认密码").fill("browser-pass-1")
    page.get_by_role("button", name="完成激活").click()
    page.get_by_text("激活完成").wait_for()
    titles.append(page.title())
    page.shot("activated")
    # every step has its own title, and one h1
    assert titles == ["输入操作密钥 · 产品激活 · SO-E2E", "选择对接ERP及部署方式 · 产品激活 · SO-E2E",
                      "设置登录密码 · 产品激活 · SO-E2E", "激活完成 · 产品激活 · SO-E2E"]
    assert page.locator("h1").count() == 1
    page.get_by_role("link", name="去配置").click()
    page.get_by_role("heading", name="订单 SO-E2E").wait_for()
    assert "杭州浏览器测试有限公司" in page.content()
    page.shot("configure")
