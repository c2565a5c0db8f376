"""【联系售后】: a prefilled 企业变更租户 request recorded for support, and 我的申请."""
import pytest
from factories import count, login, tax_id

from webapp.extensions import db
from webapp.models import AuditEntry, ChangeRequest, Enterprise, RequestEvent


@pytest.fixture
def setup(app, client, make_admin):
    """This tenant's admin signed in; another tenant holds tax_id(9)."""
    mine = make_admin()
    login(client, mine["email"])
    other = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    with app.app_context():
        ent = Enterprise(tenant_id=other["tenant_id"], tax_id=tax_id(9), name="杭州子公司")
        db.session.add(ent)
        db.session.commit()
        return {"mine": mine, "other": other, "enterprise_id": ent.id}


def test_button_opens_a_prefilled_request(client, setup):
    html = client.get(f"/requests/move?tax_id={tax_id(9)}").get_data(as_text=True)
    assert "企业变更租户" in html and tax_id(9) in html
    assert "<dt>现租户</dt><dd>杭州另一集团有限公司</dd>" in html
    assert "<dt>新租户</dt><dd>苏州示例科技有限公司</dd>" in html
    assert '<label for="reason">申请原因</label>' in html
    assert "提交后需现租户确认，再由审批人审批" in html
    assert "将迁移的数据" in html  # the preview, before submitting


def test_submit_records_request_event_and_audit_then_listed(app, client, setup):
    response = client.post("/requests/move", data={"tax_id": tax_id(9).lower(),
                                                   "reason": "该企业已并入本集团"})
    assert response.status_code == 303 and "/requests/" in response.location
    shown = client.get(response.location).get_data(as_text=True)
    assert "申请已提交。待现租户【杭州另一集团有限公司】确认：请现租户的管理员打开申请页面" in shown
    html = client.get("/requests/").get_data(as_text=True)
    assert "我的申请" in html and "企业变更租户" in html and "待对方确认" in html
    assert tax_id(9) in html and "杭州子公司" in html and "杭州另一集团有限公司" in html
    with app.app_context():
        req = db.session.query(ChangeRequest).one()
        assert (req.kind, req.status, req.tax_id) == ("move_enterprise", "awaiting", tax_id(9))
        assert req.preview["counts"]["enterprises"] == 1
        assert req.source_tenant_id == setup["other"]["tenant_id"]
        assert req.target_tenant_id == req.tenant_id == setup["mine"]["tenant_id"]
        assert req.enterprise_id == setup["enterprise_id"] and req.reason == "该企业已并入本集团"
        assert req.created_by_id == setup["mine"]["user_id"]
        event = db.session.query(RequestEvent).one()
        assert event.request_id == req.id and event.action == "submitted"
    # one entry in each tenant's log: the filer's and the holder's
    assert count(app, AuditEntry, AuditEntry.action == "request.submitted") == 2


def test_replayed_request_is_refused(app, client, setup):
    data = {"tax_id": tax_id(9), "reason": "并入本集团"}
    assert client.post("/requests/move", data=data).status_code == 303
    response = client.post("/requests/move", data=data)
    assert response.status_code == 422
    assert "请勿重复提交" in response.get_data(as_text=True)
    assert count(app, ChangeRequest) == 1
    assert "已于" in client.get(f"/requests/move?tax_id={tax_id(9)}").get_data(as_text=True)


@pytest.mark.parametrize("data,message", [
    ({"reason": ""}, "请填写申请原因"),
    ({"reason": "长" * 1001}, "申请原因不能超过 1000 个字符"),
    ({"reason": "坏\x00字符"}, "不能包含控制字符"),
    ({"tax_id": "123", "reason": "x"}, "企业税号长度应为 18 位"),
    ({"tax_id": tax_id(77), "reason": "x"}, "尚未被任何租户绑定，请直接【新增企业】"),
])
def test_bad_requests_change_nothing(app, client, setup, data, message):
    response = client.post("/requests/move", data={"tax_id": tax_id(9), **data})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(app, ChangeRequest) == 0


def test_own_enterprise_needs_no_request(app, client, setup):
    with app.app_context():
        db.session.add(Enterprise(tenant_id=setup["mine"]["tenant_id"], tax_id=tax_id(10), name="自己的"))
        db.session.commit()
    response = client.get(f"/requests/move?tax_id={tax_id(10)}")
    assert response.status_code == 422 and "已在本租户下，无需申请" in response.get_data(as_text=True)


def test_requests_are_listed_only_for_the_tenants_concerned(app, client, setup, make_admin):
    response = client.post("/requests/move", data={"tax_id": tax_id(9), "reason": "并入"})
    assert response.status_code == 303
    holder = app.test_client()
    login(holder, setup["other"]["email"])
    html = holder.get("/requests/").get_data(as_text=True)
    assert tax_id(9) in html and "待对方确认" in html  # the holder must accept it
    third = make_admin(customer="无关第三集团有限公司", email="third@example.com")
    stranger = app.test_client()
    login(stranger, third["email"])
    html = stranger.get("/requests/").get_data(as_text=True)
    assert "还没有申请" in html and tax_id(9) not in html
    with app.app_context():
        req_id = db.session.query(ChangeRequest.id).scalar()
    assert stranger.get(f"/requests/{req_id}").status_code == 404
    assert stranger.post(f"/requests/{req_id}/accept", data={}).status_code == 404


def test_the_lookup_shows_the_holding_tenant_not_the_enterprise_name(client, setup):
    """As the seed's message: 企业【税号】在租户【现租户】下已有数据 — never the other tenant's
    enterprise name."""
    html = client.get(f"/requests/move?tax_id={tax_id(9)}").get_data(as_text=True)
    assert "杭州另一集团有限公司" in html
    assert "杭州子公司" not in html


def test_lookups_are_rate_limited_per_tenant_and_address(make_app, client, setup):
    app = make_app(MOVE_LOOKUP_LIMIT=3)
    own = app.test_client()
    login(own, setup["mine"]["email"])
    url = f"/requests/move?tax_id={tax_id(9)}"
    for _ in range(3):
        assert own.get(url).status_code == 200
    response = own.get(url)
    assert response.status_code == 429 and "查询过于频繁" in response.get_data(as_text=True)
    # the same tenant from another address is still limited per tenant
    elsewhere = app.test_client()
    login(elsewhere, setup["mine"]["email"])
    assert elsewhere.get(url, environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 429
