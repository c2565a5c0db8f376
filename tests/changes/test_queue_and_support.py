"""The approver queue (filters, oldest first, counts on the staff home) and support filing for
a tenant from the support console."""
import io
import re

from factories import login, tax_id
from request_rows import request_of

from webapp.extensions import db
from webapp.models import ChangeRequest, Enterprise


def seed_requests(app, make_admin):
    """Three 企业变更租户 requests into one tenant from another: two awaiting, one pending."""
    mine = make_admin()
    other = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    client = app.test_client()
    login(client, mine["email"])
    with app.app_context():
        db.session.add_all(Enterprise(tenant_id=other["tenant_id"], tax_id=tax_id(40 + i),
                                      name=f"杭州子公司{i}") for i in range(3))
        db.session.commit()
    for i in range(3):
        assert client.post("/requests/move", data={"tax_id": tax_id(40 + i), "reason": "并入"}
                           ).status_code == 303
    first = request_of(app, tax_id=tax_id(40))
    holder = app.test_client()
    login(holder, other["email"])
    assert holder.post(f"/requests/{first.id}/accept", data={}).status_code == 303
    return mine, other


def ids_in(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/requests/(\d+)">#', html)]


def test_queue_filters_by_state_and_type_oldest_first(app, make_admin, signed_in):
    seed_requests(app, make_admin)
    approver = signed_in("approver")
    html = approver.get("/requests/queue").get_data(as_text=True)  # default: 待审批
    assert len(ids_in(html)) == 1 and "待审批（1）" in html and "待对方确认（2）" in html
    html = approver.get("/requests/queue?status=awaiting&kind=move_enterprise").get_data(as_text=True)
    found = ids_in(html)
    assert len(found) == 2 and found == sorted(found)
    assert ids_in(approver.get("/requests/queue?status=&kind=merge_tenant").get_data(as_text=True)) == []
    # unknown filters are ignored, never a 500; a control character is refused like anywhere else
    assert approver.get("/requests/queue?status=bogus&kind=bogus&after=x").status_code == 200
    assert approver.get("/requests/queue?kind=%00").status_code == 422
    home = approver.get("/home").get_data(as_text=True)
    assert 'id="count-pending">1<' in home and 'id="count-awaiting">2<' in home


def test_tenant_admins_have_no_queue(app, make_admin):
    mine, _other = seed_requests(app, make_admin)
    client = app.test_client()
    login(client, mine["email"])
    assert client.get("/requests/queue").status_code == 403


def test_support_files_a_move_and_a_merge_for_a_tenant(app, make_admin, signed_in):
    mine = make_admin()
    other = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    with app.app_context():
        db.session.add(Enterprise(tenant_id=other["tenant_id"], tax_id=tax_id(9), name="杭州子公司"))
        db.session.commit()
    support = signed_in("support")
    assert "代客户提交申请" in support.get("/support/").get_data(as_text=True)
    response = support.get("/requests/file?tenant=不存在")
    assert response.status_code == 404 and "未找到租户" in response.get_data(as_text=True)
    html = support.get("/requests/file?tenant=苏州示例科技有限公司").get_data(as_text=True)
    assert "企业变更租户" in html and "合并租户申请" in html
    page = support.get(f"/requests/move?tax_id={tax_id(9)}&tenant_id={mine['tenant_id']}")
    assert page.status_code == 200 and "<dt>新租户</dt><dd>苏州示例科技有限公司</dd>" in page.get_data(
        as_text=True)
    response = support.post("/requests/move", data={"tax_id": tax_id(9), "reason": "客户来电",
                                                     "tenant_id": mine["tenant_id"]})
    assert response.status_code == 303
    req = request_of(app)
    assert (req.kind, req.status, req.tenant_id) == ("move_enterprise", "awaiting", mine["tenant_id"])
    # the agent who filed it cannot also accept it for the other side; another agent can
    assert support.post(f"/requests/{req.id}/accept", data={}).status_code == 403
    other_agent = signed_in("support")
    assert other_agent.post(f"/requests/{req.id}/accept", data={}).status_code == 422  # no consent
    assert other_agent.post(f"/requests/{req.id}/accept", data={
        "consent": (io.BytesIO(b"%PDF-1.4 consent"), "同意书.pdf")}).status_code == 303
    response = support.post("/requests/merge", data={
        "tenant_id": mine["tenant_id"], "other_tenant": "杭州另一集团有限公司",
        "direction": "into_mine", "reason": "集团合并", "action": "submit"})
    assert response.status_code == 303
    req = request_of(app, kind="merge_tenant")
    assert (req.source_tenant_id, req.target_tenant_id) == (other["tenant_id"], mine["tenant_id"])
    # support must name a tenant it files for
    assert support.post("/requests/merge", data={"other_tenant": "x"}).status_code == 404
    with app.app_context():
        assert db.session.query(ChangeRequest).count() == 2
    assert support.get("/requests/").status_code == 403  # 我的申请 is the tenant's page
