"""In Chromium, what must hold (issue 15): a 收票 change leaves the old tax ID's 开票 usable by
the ERP; a move leaves the source's history with the source; the holder's home shows the
request waiting for its confirmation."""
import pytest
from factories import tax_id
from fixtures.browser import browser_login
from golive.erp_client import ErpClient
from sqlalchemy import select

from webapp.extensions import db

pytestmark = pytest.mark.browser

HOLDER = "杭州另一集团有限公司"


def sign_in_as(page, server, email):
    page.context.clear_cookies()
    browser_login(page, server, email)
    page.get_by_role("link", name="首页").wait_for()


def test_a_receive_change_leaves_the_issue_credential_working(live_server, make_admin,
                                                             make_batch, make_staff, page):
    from webapp.credentials import service as credentials
    from webapp.models import Allocation, Enterprise, Order

    server = live_server()
    admin = make_admin()
    approver = make_staff("approver")
    _b, (eid,) = make_batch(admin, line_index=0, names=[("苏州两产品企业有限公司", tax_id(21))])
    with server.app.app_context():
        line = db.session.get(Order, admin["order_id"]).lines[1]
        receive = Allocation(line_id=line.id, enterprise_id=eid, allocated_by_id=admin["user_id"])
        db.session.add(receive)
        line.allocated += 1
        line.quantity = max(line.quantity, line.allocated)
        values = credentials.reveal(credentials.ensure_enterprise_credential(
            db.session.get(Enterprise, eid)))
        db.session.commit()
        receive_id = receive.id

    sign_in_as(page, server, admin["email"])
    page.goto(f"{server.url}/requests/tax/{receive_id}")
    page.get_by_role("heading", name="【金蝶发票云收票产品使用企业变更流程】").wait_for()
    page.audit()
    page.get_by_label("激活时税号填写错误，需调整为正确税号").check()
    page.get_by_label("新企业名称").fill("杭州收票新企业有限公司")
    page.get_by_label("新企业税号").fill(tax_id(601, "91330100"))
    page.get_by_label("变更原因").fill("收票税号填错")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text("申请已提交。待审批人审批").first.wait_for()
    page.audit()
    request_url = page.url

    sign_in_as(page, server, approver)
    page.get_by_text("待审批（1）").wait_for()
    page.audit()
    page.goto(request_url)
    page.get_by_role("button", name="通过").click()
    page.get_by_text("审批已通过。").wait_for()
    assert page.locator("#request-status").inner_text() == "已执行"

    sign_in_as(page, server, admin["email"])
    page.goto(server.url + "/credentials/")
    row = page.locator(f"#enterprise-{eid}")
    row.get_by_role("button", name="重置密钥").wait_for()
    assert "发票云开票" in row.inner_text() and "发票云收票" not in row.inner_text()
    assert "已停用" not in row.inner_text()
    page.audit()

    erp = ErpClient(server.url, values["client_id"], values["client_secret"], values["encry_key"])
    answer = erp.token_call().json()
    assert answer["errcode"] == "0000", answer


def test_a_move_leaves_the_sources_history_with_the_source(live_server, make_admin, make_batch,
                                                          make_staff, page):
    from webapp.models import Allocation, ChangeRequest

    server = live_server()
    target = make_admin()
    holder = make_admin(customer=HOLDER, email="other@example.com")
    approver = make_staff("approver")
    _b, (eid,) = make_batch(holder, line_index=1, names=[("杭州子公司", tax_id(9))])
    with server.app.app_context():
        alloc = db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == eid))

    # the holder files a tax ID change for the enterprise first: its own history
    sign_in_as(page, server, holder["email"])
    page.goto(f"{server.url}/requests/tax/{alloc}")
    page.audit()
    page.get_by_label("原税号注销或无法继续使用，权益替换至关联公司税号").check()
    page.get_by_label("新企业名称").fill("杭州新子公司")
    page.get_by_label("新企业税号").fill(tax_id(31, "91330100"))
    page.get_by_label("变更原因").fill("原税号注销")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text("申请已提交。").first.wait_for()
    page.audit()
    tax_url = page.url

    sign_in_as(page, server, target["email"])
    page.goto(f"{server.url}/requests/move?tax_id={tax_id(9)}")
    page.get_by_text("现租户确认后，双方均可查看将迁移的数据").wait_for()
    assert page.locator("th", has_text="将迁移的数据").count() == 0
    page.audit()
    page.get_by_label("申请原因").fill("该企业已并入本集团")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text(f"申请已提交。待现租户【{HOLDER}】确认").first.wait_for()
    move_url = page.url

    sign_in_as(page, server, holder["email"])
    page.goto(move_url)
    page.get_by_role("button", name="确认", exact=True).click()
    page.get_by_text("已确认，申请进入待审批。").wait_for()

    sign_in_as(page, server, approver)
    page.goto(move_url)
    page.get_by_role("button", name="通过").click()
    page.get_by_text("审批已通过。").wait_for()
    assert page.locator("#request-status").inner_text() == "已执行"

    with server.app.app_context():
        move_id = db.session.scalar(select(ChangeRequest.id).where(
            ChangeRequest.kind == "move_enterprise"))
        tax_id_req = db.session.scalar(select(ChangeRequest.id).where(
            ChangeRequest.kind == "tax_change_receive"))
    sign_in_as(page, server, holder["email"])
    page.goto(tax_url)
    page.get_by_text("原税号注销").first.wait_for()  # the source still reads it
    page.goto(server.url + "/requests/")
    page.get_by_role("link", name=f"#{tax_id_req}", exact=True).wait_for()

    sign_in_as(page, server, target["email"])
    response = page.goto(tax_url)
    assert response.status == 404
    page.goto(server.url + "/requests/")
    page.get_by_role("link", name=f"#{move_id}", exact=True).wait_for()
    links = page.locator("table").get_by_role("link").all_inner_texts()
    assert links == [f"#{move_id}"], links
    page.audit()


def test_the_holders_home_shows_the_request_waiting_for_it(live_server, make_admin, page):
    from webapp.models import Enterprise

    server = live_server()
    target = make_admin()
    holder = make_admin(customer=HOLDER, email="other@example.com")
    with server.app.app_context():
        db.session.add(Enterprise(tenant_id=holder["tenant_id"], tax_id=tax_id(9), name="杭州子公司"))
        db.session.commit()
    sign_in_as(page, server, target["email"])
    page.goto(f"{server.url}/requests/move?tax_id={tax_id(9)}")
    page.audit()
    page.get_by_label("申请原因").fill("该企业已并入本集团")
    page.get_by_role("button", name="提交申请").click()
    page.get_by_text("申请已提交。").first.wait_for()

    sign_in_as(page, server, holder["email"])
    page.goto(server.url + "/home")
    waiting = page.locator("#to-confirm")
    waiting.get_by_role("heading", name="待您确认的申请").wait_for()
    page.audit()
    waiting.get_by_role("link", name="企业变更租户").click()
    page.get_by_role("button", name="确认", exact=True).wait_for()
    page.shot("holder-confirms")
