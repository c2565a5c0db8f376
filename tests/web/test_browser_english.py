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


# --- the main flow in English ------------------------------------------------------------------

# The data the flow's pages show (customer, tenant and enterprise names are Chinese); the region
# a tax ID names is the reading's data too (.taxid-reading strong).
CUSTOMER = "杭州英文流程有限公司"
ENTERPRISE = "杭州英文新增有限公司"
_MAIN_TEXT = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll(".taxid-reading strong").forEach(e => e.remove());
  return main.innerText || main.textContent;
}"""


def _no_chinese_but_data(page, *data):
    import re

    han = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
    text = page.evaluate(_MAIN_TEXT) + "\n" + page.title()
    for word in sorted((CUSTOMER, ENTERPRISE, *data), key=len, reverse=True):
        text = text.replace(word, "")
    assert not han.search(text), (page.url, han.findall(text)[:20], text[:1500])


def test_the_main_flow_in_english(live_server, browser, app, make_admin, tmp_path):
    """新增企业 → 去分配 (ticks) → 下一步 → 确认分配 → 分配成功 → 查看已分配结果 → 授权信息 →
    权益查询, in a browser asking for English: English words of the glossary on every page, no
    Chinese but data, axe at two widths and screenshots; the CSV export's header and the 授权邮件
    (to an account that chose English) in English too."""
    from factories import PASSWORD as ADMIN_PASSWORD
    from factories import add_enterprises, first_line, tax_id

    from webapp.core import outbox
    from webapp.extensions import db
    from webapp.models import OutboxEmail, User

    server = live_server()
    info = make_admin(customer=CUSTOMER, email="flow-en@example.com", order_no="SO-EN-FLOW")
    others = add_enterprises(server.app, info["tenant_id"], 2, name="英文流程企业")
    names = ["英文流程企业00000有限公司", "英文流程企业00001有限公司"]
    with app.app_context():
        db.session.get(User, info["user_id"]).locale = "en"  # the account chose English
        db.session.commit()
    line_id = first_line(app, info["order_id"])
    context, page = _page(browser, "en-US")
    try:
        page.goto(server.url + "/login")
        page.get_by_label("Email").fill(info["email"])
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)

        # 新增企业
        page.goto(server.url + "/enterprises/new")
        page.get_by_role("heading", name="Add enterprise").wait_for()
        assert page.get_attribute("html", "lang") == "en"
        page.get_by_label("Enterprise name").fill(ENTERPRISE)
        page.get_by_label("Enterprise tax ID").fill(tax_id(7_654_321))
        page.get_by_text("What the tax ID says:").wait_for()
        assert page.get_by_text("Business registration info (optional)").is_visible()
        _no_chinese_but_data(page)
        audit(page, "10-add-enterprise", tmp_path)
        page.get_by_role("button", name="Save").click()
        page.get_by_role("heading", name="Enterprises").wait_for()
        page.get_by_text("Enterprise added: " + ENTERPRISE).wait_for()
        _no_chinese_but_data(page, *names)
        audit(page, "11-enterprises", tmp_path)

        # 去分配: tick two boxes, the live region says what happened
        page.goto(server.url + f"/orders/{info['order_id']}/lines/{line_id}/allocate")
        page.get_by_role("heading", name="Tick the tax IDs that will use it").wait_for()
        page.wait_for_load_state()  # htmx binds the boxes on load
        for name in (ENTERPRISE, names[0]):
            page.get_by_label(name).check()
            page.get_by_role("row", name=name).get_by_text("Allocated").wait_for()
        page.locator("#alloc-status").get_by_text("Status in this allocation: Allocated").wait_for()
        assert page.locator("#alloc-selected").inner_text() == "2"
        assert page.get_by_role("row", name=names[1]).get_by_text("Not allocated").is_visible()
        assert page.get_by_text("Ticks are saved automatically").is_visible()
        _no_chinese_but_data(page, *names)
        audit(page, "12-allocate", tmp_path)

        # 下一步 → 确认分配 → 分配成功
        page.get_by_role("button", name="Next").click()
        page.get_by_role("heading", name="Confirm allocation").wait_for()
        assert page.get_by_text("cannot be undone").is_visible()
        _no_chinese_but_data(page, *names)
        audit(page, "13-confirm", tmp_path)
        page.get_by_role("button", name="Confirm allocation").click()
        page.get_by_role("heading", name="Allocation complete").wait_for()
        assert page.get_by_role("link", name="View now").is_visible()
        _no_chinese_but_data(page, *names)
        audit(page, "14-allocated", tmp_path)

        # 查看已分配结果
        page.get_by_role("link", name="View allocation results").click()
        page.get_by_role("heading", name="Allocation results").wait_for()
        assert page.get_by_role("row", name=ENTERPRISE).is_visible()
        _no_chinese_but_data(page, *names)
        audit(page, "15-results", tmp_path)

        # 授权信息 (立即查看 leads here too)
        page.get_by_role("link", name="View tenant credentials").click()
        page.get_by_role("heading", name="View tenant credentials").wait_for()
        assert page.get_by_role("heading", name="Enterprise credentials (by tax ID)").is_visible()
        assert page.get_by_role("button", name="Reset secret").first.is_visible()
        _no_chinese_but_data(page, *names)
        audit(page, "16-credentials", tmp_path)

        # 权益查询, and its CSV export: the header in English, the data as stored
        page.goto(server.url + "/entitlements/")
        page.get_by_role("heading", name="Tenant entitlement lookup").wait_for()
        assert page.get_by_role("heading", name="Entitlements by enterprise").is_visible()
        assert page.get_by_text("Active").first.is_visible()
        _no_chinese_but_data(page, *names)
        audit(page, "17-entitlements", tmp_path)
        export = page.get_by_role("link", name="Export CSV").get_attribute("href")
        csv_text = page.request.get(server.url + export).text()
        assert csv_text.lstrip("\ufeff").startswith(
            "Enterprise name,Enterprise tax ID,Product,Order number,Allocated at,Valid until,Status")
        assert ENTERPRISE in csv_text
    finally:
        context.close()
    assert len(list(tmp_path.glob("*.png"))) == 16
    assert others  # the two enterprises the panel listed besides the new one

    # The 授权邮件 went out in the language the account chose
    with app.app_context():
        email = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "authorization")
                                   .order_by(OutboxEmail.id.desc())).first()
        assert email.subject == "[Invoice Cloud] Credentials email for order SO-EN-FLOW"
        text, html = outbox.body(email)
    assert '<html lang="en">' in html and "Tenant credentials (for the whole tenant)" in html
    assert "Setup guidance" in text and "Golden Tax connection settings" in text
    assert "您好" not in text and "授权" not in text
