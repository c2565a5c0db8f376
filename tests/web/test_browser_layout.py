"""Every role's main pages in Chromium, at a desktop width and at 375 px: axe-core finds no
WCAG 2.2 A/AA violation, nothing scrolls sideways on a phone, every control is on the screen
(fixtures/a11y.py), and screenshots of both widths land under test-results/. On a phone the
menu folds into 菜单 and opens without JavaScript."""
import pytest
from factories import allocate, first_line, login, tax_id
from fixtures.browser import browser_login

from webapp.extensions import db

pytestmark = pytest.mark.browser

LONG_NAME = "苏州工业园区星辰数据科技发展集团股份有限公司"


@pytest.fixture
def world(app, make_admin, make_batch, make_staff):
    """A tenant with an order, two allocated enterprises (one with a long name), a tax ID
    change request (filed through the form, as the admin would), and one staff account of
    each role."""
    from webapp.models import Allocation, Enterprise

    admin = make_admin()
    eids = allocate(app, admin, make_batch, count=2)
    with app.app_context():
        db.session.get(Enterprise, eids[0]).name = LONG_NAME
        db.session.commit()
        allocation = db.session.scalar(db.select(Allocation.id).where(
            Allocation.enterprise_id == eids[0]))
    client = app.test_client()
    login(client, admin["email"])
    filed = client.post(f"/requests/tax/{allocation}", data={
        "change_case": "wrong_tax_id", "new_name": "苏州新税号科技有限公司",
        "new_tax_id": tax_id(42, "91320594MA"), "reason": "激活时税号填写错误", "action": "submit"})
    assert filed.status_code == 303, filed.get_data(as_text=True)[:300]
    request_id = int(filed.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return dict(admin=admin, enterprise=eids[0], line=first_line(app, admin["order_id"]),
                support=make_staff("support"), approver=make_staff("approver"),
                ops=make_staff("ops"), request=request_id, allocation=allocation)


def visit(page, server, path, name=None, status=200):
    response = page.goto(server.url + path)
    assert response.status == status, path
    page.wait_for_load_state()
    if name:
        page.shot(name)
    else:
        page.audit()


def test_every_role_s_pages_pass_axe_at_both_widths(live_server, world, page):
    server = live_server(DEV_MAILBOX=True)
    admin, order = world["admin"], world["admin"]["order_id"]

    browser_login(page, server, admin["email"])
    page.wait_for_url("**/home")
    for path, name in [
        ("/home", "tenant-home"), (f"/orders/{order}", "order"),
        (f"/orders/{order}/lines/{world['line']}/allocate", "panel"),
        (f"/orders/{order}/allocations", "results"), ("/enterprises/", "enterprises"),
        ("/enterprises/new", "enterprise-new"), (f"/enterprises/{world['enterprise']}", None),
        ("/enterprises/import", None), ("/credentials/", "credentials"),
        (f"/golive/setup/{world['enterprise']}", "setup"), ("/entitlements/", "entitlements"),
        ("/entitlements/audit", "audit"), ("/requests/", None),
        (f"/requests/{world['request']}", "request"), (f"/requests/tax/{world['allocation']}", None),
        ("/requests/merge", None),
    ]:
        visit(page, server, path, name)
    # the long name wraps between characters at a readable width, never one per line
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(server.url + f"/orders/{order}/allocations")
    cell = page.get_by_role("cell", name=LONG_NAME)
    assert cell.bounding_box()["width"] >= 100  # 7 characters a line or more
    page.set_viewport_size({"width": 1280, "height": 720})

    for role, pages in [
        ("support", ["/home", "/support/", f"/support/orders/{order}", "/requests/queue",
                     f"/requests/{world['request']}", "/requests/file?tenant=苏州示例科技有限公司",
                     "/entitlements/?q=苏州", f"/entitlements/tenants/{admin['tenant_id']}",
                     "/entitlements/audit"]),
        ("approver", ["/home", "/requests/queue"]),
        ("ops", ["/home", "/support/orders/new", "/staff/"]),
    ]:
        page.context.clear_cookies()
        browser_login(page, server, world[role])
        page.wait_for_url("**/home")
        for path in pages:
            visit(page, server, path, f"{role}-{path.strip('/').split('/')[0] or 'home'}"
                  if path in ("/home", "/support/", "/requests/queue") else None)

    # error states and the development mailbox
    visit(page, server, "/requests/999999", status=404)
    assert page.title() == "错误：404 · 发票云激活中心"
    visit(page, server, "/dev/mailbox", "mailbox")
    page.get_by_role("link", name="激活邮件", exact=False).first.click()
    page.wait_for_load_state()
    page.audit()


def test_the_menu_folds_on_a_phone_and_opens_without_javascript(live_server, world, browser):
    server = live_server()
    context = browser.new_context(locale="zh-CN", java_script_enabled=False,
                                  viewport={"width": 375, "height": 812})
    page = context.new_page()
    try:
        browser_login(page, server, world["admin"]["email"])
        page.wait_for_url("**/home")
        nav = page.get_by_role("navigation", name="主菜单")
        assert not nav.get_by_role("link", name="企业管理").is_visible()
        page.get_by_text("菜单", exact=True).click()
        nav.get_by_role("link", name="企业管理").click()
        page.get_by_role("heading", name="企业管理").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # on a desktop the same menu is simply there, no 菜单 to open
        page.set_viewport_size({"width": 1280, "height": 720})
        assert nav.get_by_role("link", name="授权信息").is_visible()
        assert not page.get_by_text("菜单", exact=True).is_visible()
    finally:
        context.close()


def test_a_skip_link_leads_past_the_menu(live_server, world, page):
    server = live_server()
    browser_login(page, server, world["admin"]["email"])
    page.wait_for_url("**/home")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is in the page, not the menu
    assert page.evaluate("!!document.activeElement.closest('main')")
    page.audit()
