"""企业变更租户 moves the enterprise and what is its own; the requests and audit entries the
source tenant made stay the source's, and before the holder consents the filer sees no counts."""
from html import unescape

import pytest
from factories import login, tax_id
from request_rows import request_of
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Allocation, AuditEntry, ChangeRequest

HOLDER = "杭州持有集团有限公司"
TARGET = "苏州示例科技有限公司"


@pytest.fixture
def moved(app, make_admin, make_batch, signed_in):
    """The holder filed a 收票 tax ID change for 杭州子公司 (executed: a new subsidiary), then the
    target files a move of 杭州子公司. Returns both clients and the requests."""
    target_info = make_admin(customer=TARGET, email="buyer@example.com")
    holder_info = make_admin(customer=HOLDER, email="holder@example.com")
    _b, (eid,) = make_batch(holder_info, line_index=0, names=[("杭州子公司", tax_id(9))])
    _b, (other,) = make_batch(holder_info, line_index=1, names=[("杭州收票企业", tax_id(8))])
    target, holder = app.test_client(), app.test_client()
    login(target, target_info["email"])
    login(holder, holder_info["email"])
    with app.app_context():
        alloc = db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == other))
        line = db.session.get(Allocation, alloc).line
        db.session.add(Allocation(line_id=line.id, enterprise_id=eid))
        line.allocated += 1
        line.quantity += 1
        db.session.commit()
        receive = db.session.scalar(select(Allocation.id).where(
            Allocation.enterprise_id == eid, Allocation.line_id == line.id))
    assert holder.post(f"/requests/tax/{receive}", data={
        "kind": "tax_change_receive", "change_case": "deregistered", "new_name": "杭州新子公司",
        "new_tax_id": tax_id(31, "91330100"), "reason": "原税号注销",
        "action": "submit"}).status_code == 303
    tax_request = request_of(app)
    approver = signed_in("approver")
    assert approver.post(f"/requests/{tax_request.id}/approve", data={}).status_code == 303
    return {"target": target, "holder": holder, "approver": approver, "tax": tax_request,
            "target_id": target_info["tenant_id"], "holder_id": holder_info["tenant_id"],
            "enterprise": eid}


def test_before_the_holder_consents_the_filer_sees_no_counts(app, moved):
    target, holder = moved["target"], moved["holder"]
    page = target.get(f"/requests/move?tax_id={tax_id(9)}")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and f"<dt>现租户</dt><dd>{HOLDER}</dd>" in html
    assert "<th>将迁移的数据</th>" not in html and "操作日志</td>" not in html
    assert "现租户确认后，双方均可查看将迁移的数据" in html
    assert target.post("/requests/move", data={"tax_id": tax_id(9),
                                               "reason": "已并入本集团"}).status_code == 303
    req = request_of(app)
    html = unescape(target.get(f"/requests/{req.id}").get_data(as_text=True))
    assert "<th>将迁移的数据</th>" not in html and "现租户确认后，双方均可查看将迁移的数据" in html
    assert "<th>将迁移的数据</th>" in holder.get(f"/requests/{req.id}").get_data(as_text=True)
    assert holder.post(f"/requests/{req.id}/accept", data={"comment": "同意"}).status_code == 303
    html = target.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "<th>将迁移的数据</th>" in html


def test_the_source_keeps_its_requests_and_history(app, moved):
    target, holder, approver = moved["target"], moved["holder"], moved["approver"]
    tax = moved["tax"]
    with app.app_context():
        holder_audit = db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.tenant_id == moved["holder_id"]))
    assert target.post("/requests/move", data={"tax_id": tax_id(9),
                                               "reason": "已并入本集团"}).status_code == 303
    move = request_of(app)
    assert holder.post(f"/requests/{move.id}/accept", data={"comment": "同意"}).status_code == 303
    assert approver.post(f"/requests/{move.id}/approve", data={}).status_code == 303
    assert request_of(app, id=move.id).status == "executed"
    # the source still reads the tax ID change it filed; the target cannot
    assert holder.get(f"/requests/{tax.id}").status_code == 200
    assert target.get(f"/requests/{tax.id}").status_code == 404
    with app.app_context():
        assert db.session.get(ChangeRequest, tax.id).tenant_id == moved["holder_id"]
        kept = db.session.scalar(select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.tenant_id == moved["holder_id"]))
        assert kept > holder_audit  # nothing of its history left it; the move added entries
    mine = unescape(target.get("/requests/").get_data(as_text=True))
    assert f'>#{move.id}</a>' in mine and f'>#{tax.id}</a>' not in mine
    theirs = unescape(holder.get("/requests/").get_data(as_text=True))
    assert f'>#{move.id}</a>' in theirs and f'>#{tax.id}</a>' in theirs
    target_log = unescape(target.get("/entitlements/audit").get_data(as_text=True))
    assert f"从【{HOLDER}】转入" in target_log and "原税号注销" not in target_log
    holder_log = unescape(holder.get("/entitlements/audit").get_data(as_text=True))
    assert f"转出至【{TARGET}】" in holder_log
