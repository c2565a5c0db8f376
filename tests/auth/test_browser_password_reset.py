"""End to end in Chromium with a real SMTP server: 忘记密码 → the email → a new password → signed
in; the session from before is gone, the link works once, an unknown address gets the same page."""
import re
import time

import pytest
from factories import PASSWORD
from fixtures.browser import browser_login
from fixtures.smtp import text_of

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/password/[A-Za-z0-9_-]+")
NEW = "browser-new-pass-2"


def _reset_emails(smtp_server, wait_for: int, timeout: float = 15) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in smtp_server.inbox.messages if "重设登录密码" in m["Subject"]]
        if len(found) >= wait_for:
            return found
        time.sleep(0.1)
    return [m for m in smtp_server.inbox.messages if "重设登录密码" in m["Subject"]]


def _ask(page, server, email) -> str:
    page.goto(server.url + "/login")
    page.get_by_role("link", name="忘记密码？").click()
    page.get_by_role("heading", name="忘记密码").wait_for()
    page.get_by_label("邮箱").fill(email)
    page.get_by_role("button", name="发送重设密码邮件").click()
    page.get_by_text("如该邮箱是本系统的登录账号").wait_for()
    return page.locator("main").inner_text()


def test_forgotten_password_from_the_email_to_signed_in(live_server, smtp_server, make_admin,
                                                       browser, page):
    server = live_server(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                         OUTBOX_SENDER="thread", OUTBOX_POLL_SECONDS=0.2)
    server.app.config["PUBLIC_BASE_URL"] = server.url
    admin = make_admin(email="reset-e2e@example.com")

    # a session from before, in another browser
    before = browser.new_context(locale="zh-CN").new_page()
    browser_login(before, server, admin["email"])
    before.wait_for_url("**/home")

    answer_unknown = _ask(page, server, "nobody-here@example.com")
    answer_known = _ask(page, server, admin["email"])
    assert answer_unknown == answer_known  # the same page, whichever address
    page.shot("sent")
    found = _reset_emails(smtp_server, 1)
    (email,) = found
    time.sleep(0.5)  # nothing more arrives: the unknown address got no email
    assert len(_reset_emails(smtp_server, 1, timeout=0)) == 1
    assert email["To"] == admin["email"]
    link = LINK.search(text_of(email)).group(0)

    page.goto(link)
    page.get_by_text(f"账号：{admin['email']}").wait_for()
    page.get_by_label("新密码").fill(NEW)
    page.get_by_label("确认密码").fill(NEW)
    page.shot("new-password")
    page.get_by_role("button", name="设置密码").click()
    page.get_by_text("密码已设置").wait_for()
    browser_login(page, server, admin["email"], NEW)
    page.wait_for_url("**/home")
    page.shot("signed-in")

    before.reload()
    before.wait_for_url("**/login**")  # the old session is gone
    before.context.close()

    page.goto(link)  # once only
    page.get_by_text("此链接已失效").wait_for()
    page.get_by_role("link", name="忘记密码：重新获取链接").wait_for()
    stranger = browser.new_context(locale="zh-CN").new_page()
    stranger.goto(server.url + "/login")  # the old password is gone
    stranger.get_by_label("邮箱").fill(admin["email"])
    stranger.get_by_label("密码").fill(PASSWORD)
    stranger.get_by_role("button", name="登录").click()
    stranger.get_by_text("邮箱或密码错误").wait_for()
    stranger.context.close()
