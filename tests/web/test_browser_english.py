"""End to end in Chromium, in English: a browser asking for English gets the activation flow in
English (产品激活 → 操作密钥 → ERP → password → 激活完成), signs in on an English login page,
and the top bar's switch changes the language and is remembered for the user in another
browser. Every page is audited (axe at two widths) and screenshotted under the test's tmp dir;
<html lang> follows the language."""
import pytest
from factories import link_and_key, outbox_text
from fixtures.a11y import audit

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-1"


def _page(browser, locale):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_activation_and_sign_in_in_english(live_server, browser, app, make_order, tmp_path):
    server = live_server()
    make_order(order_no="SO-EN", customer="Shanghai Example Trading Co., Ltd.",
               email="en@example.com")
    link, key = link_and_key(outbox_text(app))
    context, page = _page(browser, "en-US")
    try:
        page.goto(server.url + link)
        assert page.get_attribute("html", "lang") == "en"
        assert page.title() == "Enter the operation key · Product activation · SO-EN"
        audit(page, "1-key", tmp_path)
        page.get_by_label("Operation key").fill("AAAA-BBBB")
        page.get_by_role("button", name="Open product activation").click()
        page.get_by_role("alert").get_by_text("The operation key is not correct").wait_for()
        assert page.title().startswith("Error: ")
        audit(page, "2-wrong-key", tmp_path)

        page.get_by_label("Operation key").fill(key)
        page.get_by_role("button", name="Open product activation").click()
        page.get_by_role("heading", name="Choose the ERP to connect and how it is deployed").wait_for()
        page.get_by_label("Kingdee Galaxy").check()
        page.get_by_label("Public cloud").check()
        audit(page, "3-erp", tmp_path)
        page.get_by_role("button", name="Confirm").click()
        page.get_by_label("Set password").wait_for()
        audit(page, "4-password", tmp_path)
        page.get_by_label("Set password").fill(PASSWORD)
        page.get_by_label("Confirm password").fill(PASSWORD)
        page.get_by_role("button", name="Complete activation").click()
        page.get_by_role("heading", name="Activation complete").wait_for()
        assert page.get_by_role("link", name="Configure").is_visible()
        audit(page, "5-activated", tmp_path)

        # Signed out, the login page stays English (the browser asks for it)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("heading", name="Sign in").wait_for()
        assert page.get_attribute("html", "lang") == "en"
        audit(page, "6-login", tmp_path)
        page.get_by_label("Email").fill("en@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)

        # The switch: Chinese, then English again, remembered for the user
        page.get_by_role("button", name="\u4e2d\u6587").click()
        page.wait_for_function("document.documentElement.lang === 'zh-CN'")
        audit(page, "7-switched-to-chinese", tmp_path)
        page.get_by_role("button", name="English").click()
        page.wait_for_function("document.documentElement.lang === 'en'")
        audit(page, "8-switched-back", tmp_path)
    finally:
        context.close()

    # Another browser that asks for Chinese: once signed in, the user's choice wins
    context, page = _page(browser, "zh-CN")
    try:
        page.goto(server.url + "/login")
        assert page.get_attribute("html", "lang") == "zh-CN"
        page.get_by_label("邮箱").fill("en@example.com")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login" not in url)
        assert page.get_attribute("html", "lang") == "en"
        audit(page, "9-remembered", tmp_path)
    finally:
        context.close()
    assert len(list(tmp_path.glob("*.png"))) == 18
