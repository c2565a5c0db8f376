"""End to end in Chromium: the cross-tenant error → 【联系售后】 → request filed → the holder
tenant accepts → an approver approves → the enterprise is in the new tenant, gone from the old."""
import pytest
from factories import tax_id
from fixtures.browser import browser_login

pytestmark = pytest.mark.browser


def sign_in_as(page, server, email):
    page.context.clear_cookies()
    browser_login(page, server, email)
    page.get_by_role("link", name="首页").wait_for()


def test_contact_support_accept_approve_moves_the_enterprise(live_server, make_admin, make_staff,
                                                             page):
    server = live_server()
    admin = make_admin()
    holder = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    approver = make_staff("approver")
    from webapp.extensions import db
    from webapp.models import Enterprise

    with server.app.app_context():
        db.session.add(Enterprise(tenant_id=holder["tenant_id"], tax_id=tax_id(9), name="杭州子公司"))
        db.session.commit()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    sign_in_as(page, server, admin["email"])
    page.goto(server.url + "/enterprises/new")
    page.get_by_label("企业名称").fill("杭州子公司")
    page.get_by_label("企业税号").fill(tax_id(9))
    page.get_by_role("button", name="保存").click()
    page.get_by_role("alert").get_by_text("一个企业只能绑定一个租户").wait_for()
    page.audit()
    page.get_by_role("link", name="联系售后").click()
    page.get_by_text("现租户确认后，双方均可查看将迁移的数据").wait_for()  # no counts yet
    page.audit()
    page.get_by_label("申请原因").fill("该企业已并入本集团")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text("申请已提交。待现租户【杭州另一集团有限公司】确认").first.wait_for()
    request_url = page.url
    assert "待对方确认" in page.content()

    sign_in_as(page, server, holder["email"])
    page.goto(request_url)
    page.get_by_label("意见").fill("确认变更")
    page.get_by_role("button", name="确认", exact=True).click()
    page.get_by_text("已确认，申请进入待审批。").wait_for()

    sign_in_as(page, server, approver)
    page.get_by_role("link", name="智能审批").first.click()
    page.get_by_role("heading", name="智能审批").wait_for()
    page.audit()
    page.get_by_role("link", name="#", exact=False).first.click()
    page.get_by_label("审批意见").fill("核实无误")
    page.get_by_role("button", name="通过").click()
    page.get_by_text("审批已通过。").wait_for()
    assert page.locator("#request-status").inner_text() == "已执行"
    page.shot("executed")

    sign_in_as(page, server, admin["email"])
    page.get_by_role("link", name="企业管理").click()
    page.get_by_role("row").filter(has_text=tax_id(9)).wait_for()
    page.shot("in-new-tenant")
    sign_in_as(page, server, holder["email"])
    page.get_by_role("link", name="企业管理").click()
    assert page.get_by_role("row").filter(has_text=tax_id(9)).count() == 0
    assert not [e for e in errors if "Content Security Policy" in e], errors
