"""企业变更租户 and 合并租户 over HTTP: file (with a preview) → the other side accepts → approve →
executed, with every kind of row counted for both tenants before and after."""
import io
import re

import pytest
from factories import login, tax_id
from request_rows import last_ids, request_of, tenant_rows
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (AllocationDraft, ChangeRequest, Credential, Enterprise, OrderLine,
                           Tenant, User)

HOLDER = "杭州持有集团有限公司"
TARGET = "苏州示例科技有限公司"


@pytest.fixture
def tenants(app, make_admin, make_batch):
    """Two tenants with orders, allocations, credentials, a draft and audit rows; the holder
    owns 杭州子公司 (tax_id(9)) and an enterprise whose name the target also uses."""
    from webapp.credentials import service as credentials

    target = make_admin(customer=TARGET, email="buyer@example.com")
    holder = make_admin(customer=HOLDER, email="holder@example.com")
    _b, held = make_batch(holder, names=[("杭州子公司", tax_id(9)), ("同名企业有限公司", tax_id(10))])
    _b, _mine = make_batch(target, names=[("同名企业有限公司", tax_id(20))])
    with app.app_context():
        for eid in held:
            credentials.ensure_enterprise_credential(db.session.get(Enterprise, eid))
        credentials.ensure_tenant_credential(holder["tenant_id"])
        credentials.ensure_tenant_credential(target["tenant_id"])
        line = db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == holder["order_id"])
                                 .order_by(OrderLine.id.desc()))
        db.session.add(AllocationDraft(line_id=line, enterprise_id=held[0]))
        db.session.commit()
    return {"target": target, "holder": holder, "held": held}


def clients(app, tenants):
    target, holder = app.test_client(), app.test_client()
    login(target, tenants["target"]["email"])
    login(holder, tenants["holder"]["email"])
    return target, holder


def test_move_end_to_end_via_contact_support(app, tenants, signed_in):
    target, holder = clients(app, tenants)
    t_id, h_id = tenants["target"]["tenant_id"], tenants["holder"]["tenant_id"]
    html = target.get(f"/requests/move?tax_id={tax_id(9)}").get_data(as_text=True)
    assert "<th>将迁移的数据</th>" not in html and "仍属于原订单" in html  # no counts yet
    response = target.post("/requests/move", data={"tax_id": tax_id(9), "reason": "已并入本集团"})
    assert response.status_code == 303
    req = request_of(app)
    assert req.status == "awaiting"
    approver = signed_in("approver")
    # nobody approves before the holder accepts
    assert approver.post(f"/requests/{req.id}/approve", data={}).status_code == 409
    # the filer cannot accept for the other side
    assert target.post(f"/requests/{req.id}/accept", data={}).status_code == 403
    assert "待对方确认" in holder.get(f"/requests/{req.id}").get_data(as_text=True)
    before_t, before_h = tenant_rows(app, t_id), tenant_rows(app, h_id)
    cutoff = last_ids(app)
    assert holder.post(f"/requests/{req.id}/accept", data={"comment": "同意"}).status_code == 303
    assert request_of(app).status == "pending"
    assert approver.post(f"/requests/{req.id}/approve", data={"comment": "核实无误"}).status_code == 303
    assert request_of(app).status == "executed"
    after_t, after_h = tenant_rows(app, t_id, cutoff), tenant_rows(app, h_id, cutoff)
    moved = {"enterprises": 1, "allocations": 1, "credentials": 1, "drafts": 1}
    for kind in before_t:
        if kind == "audit":  # each side keeps its history
            assert (after_t[kind], after_h[kind]) == (before_t[kind], before_h[kind])
            continue
        assert after_t[kind] == before_t[kind] + moved.get(kind, 0), kind
        assert after_h[kind] == before_h[kind] - moved.get(kind, 0), kind
    assert after_h["orders"] == before_h["orders"] and after_h["lines"] == before_h["lines"]
    with app.app_context():
        ent = db.session.scalar(select(Enterprise).where(Enterprise.tax_id == tax_id(9)))
        assert ent.tenant_id == t_id
    assert tax_id(9) in target.get("/enterprises/").get_data(as_text=True)
    assert tax_id(9) not in holder.get("/enterprises/").get_data(as_text=True)
    html = holder.get(f"/orders/{tenants['holder']['order_id']}/allocations").get_data(as_text=True)
    assert "已变更至其他租户（订单行仍属于本订单）" in html


def test_the_holder_refuses_with_a_reason(app, tenants):
    target, holder = clients(app, tenants)
    assert target.post("/requests/move", data={"tax_id": tax_id(9), "reason": "x"}).status_code == 303
    req = request_of(app)
    response = holder.post(f"/requests/{req.id}/refuse", data={"comment": ""})
    assert response.status_code == 422 and "请填写拒绝原因" in response.get_data(as_text=True)
    assert holder.post(f"/requests/{req.id}/refuse", data={"comment": "该企业仍归我方"}).status_code == 303
    assert request_of(app).status == "rejected"
    assert "该企业仍归我方" in target.get(f"/requests/{req.id}").get_data(as_text=True)
    assert holder.post(f"/requests/{req.id}/accept", data={}).status_code == 403


def test_support_accepts_on_behalf_of_the_holder_only_with_its_written_consent(
        app, tenants, signed_in, make_staff):
    target, _holder = clients(app, tenants)
    assert target.post("/requests/move", data={"tax_id": tax_id(9), "reason": "x"}).status_code == 303
    req = request_of(app)
    support_email = make_staff("support")
    support = signed_in(email=support_email)
    html = support.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "代对方确认</button>" in html and "对方书面同意（必填）" in html
    response = support.post(f"/requests/{req.id}/accept", data={"comment": "电话确认"})
    assert response.status_code == 422
    assert "必须上传对方租户的书面同意" in response.get_data(as_text=True)
    assert request_of(app).status == "awaiting"
    response = support.post(f"/requests/{req.id}/accept", data={
        "comment": "已收到书面同意", "consent": (io.BytesIO(b"%PDF-1.4 consent"), "同意书.pdf")})
    assert response.status_code == 303
    after = request_of(app)
    assert after.status == "pending"
    html = target.get(f"/requests/{req.id}").get_data(as_text=True)
    assert f"{support_email}（客服，代{HOLDER}确认，附对方书面同意）" in html
    assert "对方书面同意：<a" in html and "同意书.pdf" in html


def test_merge_end_to_end_counts_every_row(app, tenants, signed_in):
    target, holder = clients(app, tenants)
    t_id, h_id = tenants["target"]["tenant_id"], tenants["holder"]["tenant_id"]
    data = {"other_tenant": TARGET, "direction": "into_other", "reason": "集团内合并"}
    response = holder.post("/requests/merge", data={**data, "action": "preview"})
    html = response.get_data(as_text=True)
    # before the other side consents: what a merge does, never the counts or collisions
    assert response.status_code == 200 and "<th>将迁移的数据</th>" not in html
    assert "同名企业有限公司" not in html and "对方租户确认后，双方均可查看将迁移的数据" in html
    assert holder.post("/requests/merge", data={**data, "action": "submit"}).status_code == 303
    req = request_of(app)
    assert req.status == "awaiting" and req.preview["counts"]["enterprises"] == 2
    assert "<th>将迁移的数据</th>" not in holder.get(f"/requests/{req.id}").get_data(as_text=True)
    html = target.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "<th>将迁移的数据</th>" in html and "目标租户已有同名企业【同名企业有限公司】" in html
    assert target.post(f"/requests/{req.id}/accept", data={}).status_code == 303
    html = holder.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "<th>将迁移的数据</th>" in html and "目标租户已有同名企业【同名企业有限公司】" in html
    before_t, before_h = tenant_rows(app, t_id), tenant_rows(app, h_id)
    cutoff = last_ids(app)
    approver = signed_in("approver")
    assert approver.post(f"/requests/{req.id}/approve", data={}).status_code == 303
    assert request_of(app).status == "executed"
    after_t, after_h = tenant_rows(app, t_id, cutoff), tenant_rows(app, h_id, cutoff)
    for kind in before_t:
        assert after_h[kind] == 0, kind
        assert after_t[kind] == before_t[kind] + before_h[kind], kind
    with app.app_context():
        source = db.session.get(Tenant, h_id)
        assert source.display_name == f"{HOLDER}（已合并至【{TARGET}】）"
        names = sorted(db.session.scalars(select(Enterprise.name).where(Enterprise.tenant_id == t_id)))
        assert names == ["同名企业有限公司", "同名企业有限公司（合并）", "杭州子公司"]
        admin = db.session.scalar(select(User).where(User.email == "holder@example.com"))
        assert admin.tenant_id == t_id
        tenant_cred = db.session.scalar(select(Credential).where(
            Credential.tenant_id == h_id, Credential.enterprise_id.is_(None)))
        assert tenant_cred.status == "disabled"
    html = approver.get(f"/requests/{req.id}").get_data(as_text=True)
    assert f"已合并至【{TARGET}】" in html and "数据在提交后发生了变化" not in html
    # the source's admin now works in the target tenant
    assert tax_id(9) in holder.get("/enterprises/").get_data(as_text=True)


def test_bad_merges_change_nothing(app, tenants):
    _target, holder = clients(app, tenants)
    for data, message in [
        ({"other_tenant": ""}, "请输入对方租户的完整名称"),
        ({"other_tenant": HOLDER}, "不能与本租户合并"),
        ({"other_tenant": TARGET, "direction": "sideways"}, "请选择合并方向"),
        ({"other_tenant": TARGET, "reason": ""}, "请填写申请原因"),
    ]:
        response = holder.post("/requests/merge", data={
            "direction": "into_other", "reason": "x", "action": "submit", **data})
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ChangeRequest).count() == 0


def test_the_merge_form_tells_no_existing_tenant_from_an_unknown_name(app, tenants, signed_in):
    """Typing another tenant's exact name and typing a name nobody has are answered alike."""
    _target, holder = clients(app, tenants)
    answers = {}

    def same(html: str, name: str) -> str:  # CSRF tokens carry a timestamp
        return re.sub(r'[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_.-]+', "TOKEN", html).replace(name, "NAME")

    for name in (TARGET, "不存在的租户有限公司"):
        data = {"other_tenant": name, "direction": "into_other", "reason": "集团内合并"}
        preview = holder.post("/requests/merge", data={**data, "action": "preview"})
        filed = holder.post("/requests/merge", data={**data, "action": "submit"})
        page = holder.get(filed.location)
        shown = same(page.get_data(as_text=True), name)
        shown = re.sub(rf"(#|/){request_of(app).id}\b", r"\1ID", shown)  # the language switch's next too
        listed = same(holder.get("/requests/").get_data(as_text=True), name)
        row = re.search(r"<tr><td><a[^>]*>#\d+</a></td>.*?</tr>", listed, re.S).group(0)
        row = re.sub(r"#\d+|/requests/\d+", "#ID", row)
        answers[name] = (preview.status_code, same(preview.get_data(as_text=True), name),
                         filed.status_code, page.status_code, shown, row)
    known, unknown = answers.values()
    assert known[0] == unknown[0] == 200 and known[2] == unknown[2] == 303
    assert known[1] == unknown[1] and known[3] == unknown[3] == 200
    assert known[4] == unknown[4] and known[5] == unknown[5]  # the page and 我的申请's row
    assert "<th>将迁移的数据</th>" not in known[4]
    # the unknown one waits for nobody; support can end it
    req = request_of(app)
    assert (req.other_name, req.status) == ("不存在的租户有限公司", "awaiting")
    assert signed_in("approver").get("/requests/queue?status=awaiting").status_code == 200
    staff_view = signed_in("approver").get(f"/requests/{req.id}")
    assert staff_view.status_code == 200 and "租户不存在" in staff_view.get_data(as_text=True)
    support = signed_in("support")
    assert support.post(f"/requests/{req.id}/accept", data={}).status_code == 403
    assert support.post(f"/requests/{req.id}/refuse",
                        data={"comment": "未找到该租户"}).status_code == 303


def test_a_changed_preview_is_shown_beside_the_stored_one(app, tenants, signed_in):
    target, holder = clients(app, tenants)
    data = {"other_tenant": TARGET, "direction": "into_other", "reason": "合并", "action": "submit"}
    assert holder.post("/requests/merge", data=data).status_code == 303
    req = request_of(app)
    with app.app_context():
        db.session.add(Enterprise(tenant_id=tenants["holder"]["tenant_id"], tax_id=tax_id(30),
                                  name="后来新增的企业"))
        db.session.commit()
    html = signed_in("approver").get(f"/requests/{req.id}").get_data(as_text=True)
    assert "数据在提交后发生了变化" in html and "提交时的预览" in html and "当前预览" in html


def test_the_approver_is_neither_the_filer_nor_the_one_who_accepted(app, tenants, make_staff):
    """The service refuses it (403) and the schema too: a CHECK on change_request."""
    import sqlalchemy.exc

    from webapp.changes import lifecycle
    from webapp.core.errors import Forbidden

    target, _holder = clients(app, tenants)
    assert target.post("/requests/move", data={"tax_id": tax_id(9), "reason": "x"}).status_code == 303
    approver_email = make_staff("approver")
    with app.app_context():
        approver = db.session.scalar(select(User).where(User.email == approver_email))
        req = db.session.scalars(select(ChangeRequest)).one()
        req.status, req.accepted_by_id = "pending", approver.id  # as if it had accepted
        db.session.flush()
        assert not lifecycle.can_approve(req, approver)
        with pytest.raises(Forbidden):
            lifecycle.approve(req, approver, None)
        db.session.rollback()
        req = db.session.scalars(select(ChangeRequest)).one()
        req.accepted_by_id = req.decided_by_id = approver.id
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
        req = db.session.scalars(select(ChangeRequest)).one()
        req.accepted_by_id = req.created_by_id
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_the_move_and_merge_forms_take_an_attachment(app, tenants):
    target, holder = clients(app, tenants)
    html = target.get(f"/requests/move?tax_id={tax_id(9)}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    response = target.post("/requests/move", data={
        "tax_id": tax_id(9), "reason": "并入本集团",
        "attachment": (io.BytesIO(b"%PDF-1.4 group"), "集团证明.pdf")})
    assert response.status_code == 303
    move = request_of(app)
    html = holder.get(f"/requests/{move.id}").get_data(as_text=True)
    assert "附件：<a" in html and "集团证明.pdf" in html
    html = holder.get("/requests/merge").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="attachment"' in html
    response = holder.post("/requests/merge", data={
        "other_tenant": TARGET, "direction": "into_other", "reason": "合并", "action": "submit",
        "attachment": (io.BytesIO(b"not a pdf"), "x.pdf")})
    assert response.status_code == 422 and "附件只能是 PDF 或图片" in response.get_data(as_text=True)
    response = holder.post("/requests/merge", data={
        "other_tenant": TARGET, "direction": "into_other", "reason": "合并", "action": "submit",
        "attachment": (io.BytesIO(b"%PDF-1.4 board"), "董事会决议.pdf")})
    assert response.status_code == 303
    assert "董事会决议.pdf" in holder.get(response.location).get_data(as_text=True)
