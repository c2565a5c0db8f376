"""权益税号变更 over HTTP: 【申请变更】 → 预览 → 提交 → approve (→ 已付款 for 开票) → 已执行."""
import re
from datetime import date
from html import unescape

import pytest
from factories import count, login, outbox_text, tax_id
from request_rows import request_of
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (Allocation, AuditEntry, ChangeRequest, Credential, Enterprise,
                           OrderLine, OutboxEmail, RequestEvent)

NEW = tax_id(501, "91330100")


@pytest.fixture
def setup(app, client, admin, make_batch, make_staff):
    """An admin signed in with two enterprises holding 开票 (line 0) and one holding 收票."""
    from webapp.credentials import service as credentials

    _batch, issue_ids = make_batch(admin, line_index=0, names=[
        ("苏州原税号一有限公司", tax_id(11)), ("苏州原税号二有限公司", tax_id(12))])
    _batch, receive_ids = make_batch(admin, line_index=1, names=[("苏州收票企业有限公司", tax_id(13))])
    with app.app_context():
        for eid in issue_ids + receive_ids:
            credentials.ensure_enterprise_credential(db.session.get(Enterprise, eid))
        db.session.commit()
        alloc = {eid: db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == eid))
                 for eid in issue_ids + receive_ids}
    return {**admin, "issue": issue_ids, "receive": receive_ids, "alloc": alloc}


def form(**over):
    data = {"change_case": "wrong_tax_id", "new_name": "杭州新税号科技有限公司", "new_tax_id": NEW,
            "reason": "激活时税号填写错误", "action": "submit"}
    return {**data, **over}


def file_issue(client, setup, **over):
    alloc = setup["alloc"][setup["issue"][0]]
    return client.post(f"/requests/tax/{alloc}", data=form(**{"kind": "tax_change_issue", **over}))


def test_results_offer_a_change_beside_each_allocated_tax_id(client, setup):
    html = unescape(client.get(f"/orders/{setup['order_id']}/allocations").get_data(as_text=True))
    for eid in setup["issue"] + setup["receive"]:
        assert f'href="/requests/tax/{setup["alloc"][eid]}">申请变更</a>' in html
    page = client.get(f"/requests/tax/{setup['alloc'][setup['issue'][0]]}")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "【发票云开票产品使用企业名称&税号&税盘变更申请】" in html and "付费" in html
    html = unescape(client.get(f"/requests/tax/{setup['alloc'][setup['receive'][0]]}")
                    .get_data(as_text=True))
    assert "【金蝶发票云收票产品使用企业变更流程】" in html and "本变更免费" in html


def test_preview_before_submitting_changes_nothing(app, client, setup):
    response = file_issue(client, setup, action="preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "将迁移的数据" in html
    assert "将在本租户下新建企业【杭州新税号科技有限公司】" in html and "原分配" in html
    assert count(app, ChangeRequest) == 0 and count(app, Enterprise, Enterprise.tax_id == NEW) == 0


def test_paid_change_end_to_end(app, client, setup, signed_in):
    old_id = setup["issue"][0]
    response = file_issue(client, setup)
    assert response.status_code == 303
    req = request_of(app)
    assert (req.kind, req.status) == ("tax_change_issue", "pending")
    assert req.preview["counts"] == {"allocations": 1, "enterprises": 1}
    approver = signed_in("approver")
    response = approver.post(f"/requests/{req.id}/approve", data={"fee": "800", "comment": "同意"})
    assert response.status_code == 303
    html = approver.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "已通过" in html and "¥800.00" in html and "未付款" in html
    assert count(app, Enterprise, Enterprise.tax_id == NEW) == 0  # unpaid: nothing executed
    response = approver.post(f"/requests/{req.id}/paid", data={"payment_ref": "PAY-2026-001"})
    assert response.status_code == 303
    html = approver.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "已执行" in html and "付款凭证号 PAY-2026-001" in html
    with app.app_context():
        old = db.session.get(Allocation, setup["alloc"][old_id])
        new_ent = db.session.scalar(select(Enterprise).where(Enterprise.tax_id == NEW))
        new = db.session.get(Allocation, old.replaced_by_id)
        assert (old.status, new.status, new.enterprise_id) == ("replaced", "active", new_ent.id)
        assert new_ent.tenant_id == setup["tenant_id"]
        line = db.session.get(OrderLine, old.line_id)
        assert line.allocated == 2  # unchanged: the replacement takes no new quota
        assert new.valid_until is None  # validity kept by default
        old_cred = db.session.scalar(select(Credential).where(Credential.enterprise_id == old_id))
        assert old_cred.status == "disabled" and old_cred.disabled_at is not None
        new_cred = db.session.scalar(select(Credential).where(Credential.enterprise_id == new_ent.id))
        assert new_cred.status == "active"
        actions = [e.action for e in db.session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == req.id).order_by(RequestEvent.id))]
        assert actions == ["submitted", "approved", "paid", "executed"]
        assert db.session.get(ChangeRequest, req.id).fee_paid_by_id is not None
    text = outbox_text(app, kind="authorization")
    assert "权益税号变更已执行" in text and new_cred.client_id in text
    assert "申请 #" in outbox_text(app, kind="request") and count(
        app, OutboxEmail, OutboxEmail.kind == "request") >= 4
    assert count(app, AuditEntry, AuditEntry.action == "allocation.replaced") == 1


def test_free_change_executes_on_approval_and_may_restart_validity(app, client, setup, signed_in):
    alloc = setup["alloc"][setup["receive"][0]]
    assert client.post(f"/requests/tax/{alloc}", data=form(kind="tax_change_receive",
                                                          change_case="deregistered")).status_code == 303
    req = request_of(app)
    approver = signed_in("approver")
    assert approver.post(f"/requests/{req.id}/approve",
                         data={"restart_validity": "1"}).status_code == 303
    with app.app_context():
        stored = db.session.get(ChangeRequest, req.id)
        assert stored.status == "executed" and stored.fee_cents is None
        new = db.session.get(Allocation, db.session.get(Allocation, alloc).replaced_by_id)
        line = db.session.get(OrderLine, new.line_id)
        assert new.valid_from == date.today()
        assert (new.valid_until is None) == (line.valid_until is None)


@pytest.mark.parametrize("over,message", [
    ({"new_tax_id": "__OLD__"}, "新税号与原税号相同，无需变更"),
    ({"new_tax_id": "123"}, "企业税号长度应为 18 位"),
    ({"new_name": ""}, "请输入企业名称"),
    ({"change_case": "other"}, "请选择变更情况"),
    ({"reason": ""}, "请填写变更原因"),
    ({"reason": "坏\x00"}, "不能包含控制字符"),  # the one rule for every input
    ({"kind": "tax_change_receive"}, "不能跨产品"),
])
def test_bad_tax_changes_are_refused_and_change_nothing(app, client, setup, over, message):
    with app.app_context():
        old_tax = db.session.get(Enterprise, setup["issue"][0]).tax_id
    over = {k: (old_tax if v == "__OLD__" else v) for k, v in over.items()}
    response = file_issue(client, setup, **{"kind": "tax_change_issue", **over})
    assert response.status_code == 422
    assert message in re.sub(r"\s+", " ", response.get_data(as_text=True).split("<main")[1])
    assert count(app, ChangeRequest) == 0


def test_a_tax_id_held_by_another_tenant_is_refused(app, client, setup, make_admin):
    other = make_admin(customer="第三方集团有限公司", email="third@example.com")
    with app.app_context():
        db.session.add(Enterprise(tenant_id=other["tenant_id"], tax_id=NEW, name="别人的企业"))
        db.session.commit()
    response = file_issue(client, setup)
    assert response.status_code == 422
    assert "已绑定在其他租户下" in response.get_data(as_text=True)
    assert count(app, ChangeRequest) == 0


def test_previews_naming_tax_ids_of_other_tenants_are_limited_like_every_holder_lookup(
        make_app, setup, make_admin):
    app = make_app(HOLDER_PROBE_LIMIT=2)
    client = app.test_client()
    login(client, setup["email"])
    other = make_admin(customer="第三方集团有限公司", email="third@example.com")
    held = [tax_id(700 + n, "91330100") for n in range(3)]
    with app.app_context():
        db.session.add_all(Enterprise(tenant_id=other["tenant_id"], tax_id=t, name=f"别人的企业{n}")
                           for n, t in enumerate(held))
        db.session.commit()
    statuses = [file_issue(client, setup, new_tax_id=t, action="preview").status_code for t in held]
    assert statuses == [422, 422, 429]
    response = file_issue(client, setup, new_tax_id=held[2], action="preview")
    assert response.status_code == 429 and "已绑定在其他租户下" not in response.get_data(as_text=True)
    # a tax ID already named costs nothing again
    assert file_issue(client, setup, new_tax_id=held[0], action="preview").status_code == 422


def test_the_approver_cannot_approve_its_own_request(app, setup, signed_in, make_staff):
    email = make_staff("approver")
    # support files for the tenant; an approver who filed could not approve it either
    support = signed_in("support")
    alloc = setup["alloc"][setup["receive"][0]]
    response = support.post(f"/requests/tax/{alloc}?tenant_id={setup['tenant_id']}",
                            data=form(kind="tax_change_receive", tenant_id=setup["tenant_id"]))
    assert response.status_code == 303
    req = request_of(app)
    with app.app_context():
        from webapp.models import User
        approver_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.get(ChangeRequest, req.id).created_by_id = approver_id
        db.session.commit()
    approver = signed_in(email=email)
    response = approver.post(f"/requests/{req.id}/approve", data={})
    assert response.status_code == 403 and "不能审批自己提交的申请" in response.get_data(as_text=True)
    assert request_of(app).status == "pending"


def test_reject_with_a_comment_ends_the_request(app, client, setup, signed_in):
    assert file_issue(client, setup).status_code == 303
    req = request_of(app)
    approver = signed_in("approver")
    response = approver.post(f"/requests/{req.id}/reject", data={"comment": ""})
    assert response.status_code == 422 and "请填写驳回意见" in response.get_data(as_text=True)
    assert approver.post(f"/requests/{req.id}/reject", data={"comment": "材料不全"}).status_code == 303
    assert request_of(app).status == "rejected"
    html = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "已驳回" in html and "材料不全" in html
    response = approver.post(f"/requests/{req.id}/approve", data={})
    assert response.status_code == 409 and request_of(app).status == "rejected"


def test_tenant_admin_cannot_approve_and_another_tenant_gets_404(app, client, setup, make_admin):
    assert file_issue(client, setup).status_code == 303
    req = request_of(app)
    assert client.post(f"/requests/{req.id}/approve", data={}).status_code == 403
    other = make_admin(customer="无关集团有限公司", email="x@example.com")
    stranger = app.test_client()
    login(stranger, other["email"])
    assert stranger.get(f"/requests/{req.id}").status_code == 404
    assert stranger.get(f"/requests/tax/{setup['alloc'][setup['issue'][0]]}").status_code == 404
    assert stranger.get("/requests/999999999999").status_code == 404
    assert request_of(app).status == "pending"


def test_a_failure_midway_rolls_back_and_can_be_retried(app, client, setup, signed_in, monkeypatch):
    from webapp.changes import execute

    assert client.post(f"/requests/tax/{setup['alloc'][setup['receive'][0]]}",
                       data=form(kind="tax_change_receive")).status_code == 303
    req = request_of(app)
    real = execute.authorization.queue_tax_change_email

    def broken(*args, **kwargs):  # after the enterprise and the allocation were written
        raise execute.ServiceError("邮件服务暂不可用")

    monkeypatch.setattr(execute.authorization, "queue_tax_change_email", broken)
    approver = signed_in("approver")
    assert approver.post(f"/requests/{req.id}/approve", data={}).status_code == 303
    html = approver.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "执行失败" in html and "邮件服务暂不可用" in html
    assert count(app, Enterprise, Enterprise.tax_id == NEW) == 0
    assert count(app, Allocation, Allocation.status == "replaced") == 0
    monkeypatch.setattr(execute.authorization, "queue_tax_change_email", real)
    assert approver.post(f"/requests/{req.id}/retry", data={}).status_code == 303
    assert request_of(app).status == "executed"
    assert approver.post(f"/requests/{req.id}/retry", data={}).status_code == 409
    assert count(app, Enterprise, Enterprise.tax_id == NEW) == 1
    assert count(app, Allocation, Allocation.status == "replaced") == 1


def test_after_the_change_the_old_tax_id_leaves_the_list_and_cannot_be_rotated(
        app, client, setup, signed_in):
    alloc = setup["alloc"][setup["receive"][0]]
    assert client.post(f"/requests/tax/{alloc}", data=form(kind="tax_change_receive")).status_code == 303
    assert signed_in("approver").post(f"/requests/{request_of(app).id}/approve",
                                      data={}).status_code == 303
    with app.app_context():
        old_cred = db.session.scalar(select(Credential).where(
            Credential.enterprise_id == setup["receive"][0]))
    assert old_cred.status == "disabled"
    html = client.get("/credentials/").get_data(as_text=True)
    assert tax_id(13) not in html and NEW in html  # it holds nothing any more
    response = client.post(f"/credentials/{old_cred.id}/rotate", data={"confirmed": "yes"})
    assert response.status_code == 409 and "已停用" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Credential, old_cred.id).rotated_at is None
    # 权益查询 shows the new enterprise holding the product, the old one no longer
    html = client.get("/entitlements/?view=enterprises").get_data(as_text=True)
    assert "杭州新税号科技有限公司" in html
