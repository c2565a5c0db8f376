"""A tax ID change takes away only what it moves: the old tax ID keeps its credential while it
still holds an entitlement, and every list of allocated tax IDs reads the one definition of
"holds an active allocation" (webapp/models/allocation.py)."""
import re
from html import unescape

import pytest
from factories import count, tax_id
from request_rows import request_of
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Allocation, AuditEntry, Credential, Enterprise, Order, OutboxEmail

NEW = tax_id(601, "91330100")
BOTH = tax_id(21)


@pytest.fixture
def both(app, client, admin, make_batch):
    """One enterprise holding 发票云开票 (line 0) and 发票云收票 (line 1), with its credential."""
    from webapp.credentials import service as credentials

    _b, (eid,) = make_batch(admin, line_index=0, names=[("苏州两产品企业有限公司", BOTH)])
    with app.app_context():
        line = db.session.get(Order, admin["order_id"]).lines[1]
        receive = Allocation(line_id=line.id, enterprise_id=eid, allocated_by_id=admin["user_id"])
        db.session.add(receive)
        line.allocated += 1
        line.quantity = max(line.quantity, line.allocated)
        credentials.ensure_enterprise_credential(db.session.get(Enterprise, eid))
        db.session.commit()
        return {**admin, "enterprise": eid, "receive": receive.id}


def change(client, allocation_id: int, kind="tax_change_receive"):
    return client.post(f"/requests/tax/{allocation_id}", data={
        "kind": kind, "change_case": "wrong_tax_id", "new_name": "杭州收票新企业有限公司",
        "new_tax_id": NEW, "reason": "收票税号填错", "action": "submit"})


def row_of(html: str, tax: str) -> str:
    """The rows of one tax ID on 授权信息: one per environment."""
    start = html.index(f"<code>{tax}</code>")
    return html[html.rindex("<tbody", 0, start):html.index("</tbody>", start)]


def test_a_receive_change_leaves_the_issue_credential_usable(app, client, both, signed_in):
    assert change(client, both["receive"]).status_code == 303
    assert signed_in("approver").post(f"/requests/{request_of(app).id}/approve",
                                      data={}).status_code == 303
    assert request_of(app).status == "executed"
    with app.app_context():
        cred = db.session.scalar(select(Credential).where(
            Credential.enterprise_id == both["enterprise"]))
        assert cred.status == "active"
    html = unescape(client.get("/credentials/").get_data(as_text=True))
    row = row_of(html, BOTH)
    assert "发票云开票" in row and "发票云收票" not in row  # it lost 收票
    assert "已停用" not in row and "税号已变更" not in row and "重置密钥" in row
    assert "发票云收票" in row_of(html, NEW)


def _receive_moved(app, client, both, signed_in):
    """收票 moved to a new tax ID (filed, approved, executed): the 开票 allocation the old tax ID
    still holds, and the approver's client."""
    with app.app_context():
        issue = db.session.scalar(select(Allocation.id).where(
            Allocation.enterprise_id == both["enterprise"], Allocation.id != both["receive"]))
    approver = signed_in("approver")
    assert change(client, both["receive"]).status_code == 303
    assert approver.post(f"/requests/{request_of(app).id}/approve", data={}).status_code == 303
    return issue, approver


def test_the_last_entitlement_moved_switches_the_credential_off(app, client, both, signed_in):
    """A tax ID with nothing left: its credential is 已停用 and it leaves 授权信息."""
    issue, approver = _receive_moved(app, client, both, signed_in)
    response = client.post(f"/requests/tax/{issue}", data={
        "kind": "tax_change_issue", "change_case": "wrong_tax_id", "new_name": "杭州开票新企业有限公司",
        "new_tax_id": tax_id(602, "91330100"), "reason": "开票税号填错", "action": "submit"})
    assert response.status_code == 303
    req = request_of(app)
    assert approver.post(f"/requests/{req.id}/approve", data={"fee": "300"}).status_code == 303
    assert approver.post(f"/requests/{req.id}/paid",
                         data={"payment_ref": "PAY-1"}).status_code == 303
    with app.app_context():
        cred = db.session.scalar(select(Credential).where(
            Credential.enterprise_id == both["enterprise"]))
        assert cred.status == "disabled"
    html = client.get("/credentials/").get_data(as_text=True)
    assert BOTH not in html and NEW in html


def test_a_switched_off_credential_of_a_tax_id_that_holds_an_entitlement_is_reissued(
        app, client, both):
    """Data from before the fix: 开票 still held, its credential 已停用. 授权信息 offers a new one."""
    with app.app_context():
        cred = db.session.scalar(select(Credential).where(
            Credential.enterprise_id == both["enterprise"]))
        cred.status, old_client_id, cred_id = "disabled", cred.client_id, cred.id
        db.session.commit()
    html = unescape(client.get("/credentials/").get_data(as_text=True))
    row = row_of(html, BOTH)
    assert "已停用" in row and "重新生成授权" in row and "税号已变更" not in row
    emails = count(app, OutboxEmail)
    response = client.post(f"/credentials/{cred_id}/reissue")
    assert response.status_code == 303
    with app.app_context():
        cred = db.session.get(Credential, cred_id)
        assert cred.status == "active" and cred.client_id != old_client_id
        email = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
        assert email.kind == "authorization" and "授权信息已重新生成" in email.subject
    assert count(app, AuditEntry, AuditEntry.action == "credential.reissued") == 1
    assert count(app, OutboxEmail) == emails + 1
    html = unescape(client.get(response.location).get_data(as_text=True))
    assert "已重新生成" in html and "已停用" not in row_of(html, BOTH)
    # an active credential is not reissued: 409, nothing changes
    assert client.post(f"/credentials/{cred_id}/reissue").status_code == 409


def test_a_credential_of_a_tax_id_holding_nothing_is_not_reissued(app, client, both, signed_in):
    with app.app_context():
        for alloc in db.session.scalars(select(Allocation).where(
                Allocation.enterprise_id == both["enterprise"])):
            alloc.status = "replaced"
        cred = db.session.scalar(select(Credential).where(
            Credential.enterprise_id == both["enterprise"]))
        cred.status, cred_id = "disabled", cred.id
        db.session.commit()
    assert client.post(f"/credentials/{cred_id}/reissue").status_code == 404


def test_every_list_of_allocated_tax_ids_drops_a_tax_id_that_holds_nothing(
        app, client, both, signed_in, make_staff):
    """After both products moved away, the old tax ID is in no list of allocated tax IDs."""
    issue, approver = _receive_moved(app, client, both, signed_in)
    home = unescape(client.get("/home").get_data(as_text=True))
    assert "<dt>尚未验证</dt><dd>2 家企业</dd>" in home  # the old tax ID (开票) and the new one
    assert client.post(f"/requests/tax/{issue}", data={
        "kind": "tax_change_issue", "change_case": "wrong_tax_id", "new_name": "杭州开票新企业有限公司",
        "new_tax_id": tax_id(602, "91330100"), "reason": "开票税号填错",
        "action": "submit"}).status_code == 303
    req = request_of(app)
    assert approver.post(f"/requests/{req.id}/approve", data={"fee": "300"}).status_code == 303
    assert approver.post(f"/requests/{req.id}/paid", data={"payment_ref": "P"}).status_code == 303
    home = unescape(client.get("/home").get_data(as_text=True))
    assert "<dt>尚未验证</dt><dd>2 家企业</dd>" in home and BOTH not in home
    results = unescape(client.get(f"/orders/{both['order_id']}/allocations").get_data(as_text=True))
    for row in re.findall(r"<tr>.*?</tr>", results, re.S):
        if BOTH in row:  # its two rows are history now: 已替换, no credential offered
            assert "已替换" in row and "client id" not in row and "申请变更" not in row
    support = signed_in("support")
    page = support.get(f"/support/orders/{both['order_id']}")
    assert page.status_code == 200 and BOTH not in page.get_data(as_text=True)
    export = client.get(f"/entitlements/tenants/{both['tenant_id']}/export.csv")
    assert export.status_code == 200 and BOTH not in export.get_data(as_text=True)


def test_a_restarted_validity_shows_in_entitlements_and_the_export(app, client, both, signed_in):
    from datetime import date

    with app.app_context():
        line = db.session.get(Allocation, both["receive"]).line
        line.valid_from, line.valid_until = date(2024, 1, 1), date(2025, 1, 1)
        line_id = line.id
        db.session.commit()
    assert change(client, both["receive"]).status_code == 303
    assert signed_in("approver").post(f"/requests/{request_of(app).id}/approve",
                                      data={"restart_validity": "1"}).status_code == 303
    with app.app_context():
        new = db.session.scalar(select(Allocation).where(Allocation.replaced_by_id.is_(None),
                                                         Allocation.line_id == line_id,
                                                         Allocation.status == "active"))
        valid_until = new.valid_until
    assert valid_until > date.today()  # the line's own validity ended in 2025
    html = unescape(client.get(f"/entitlements/tenants/{both['tenant_id']}?view=enterprises")
                    .get_data(as_text=True))
    assert f"有效期至 {valid_until}" in html
    export = client.get(f"/entitlements/tenants/{both['tenant_id']}/export.csv")
    assert export.status_code == 200 and valid_until.isoformat() in export.get_data(as_text=True)


def test_the_reissued_authorization_email_goes_to_the_orders_the_tax_id_still_holds(
        app, client, admin, make_batch, make_order, signed_in):
    """开票 from one order, 收票 from another (another contact): after the 收票 change the
    old tax ID's new credentials go to the 开票 order's contact only."""
    from webapp.credentials import service as credentials
    from webapp.orm import utcnow

    _b, (eid,) = make_batch(admin, line_index=0, names=[("苏州两订单企业有限公司", BOTH)])
    second_id, _key = make_order(email="second@example.com")
    with app.app_context():
        second = db.session.get(Order, second_id)
        second.tenant_id, second.activated_at = admin["tenant_id"], utcnow()
        line = second.lines[1]
        receive = Allocation(line_id=line.id, enterprise_id=eid, allocated_by_id=admin["user_id"])
        db.session.add(receive)
        line.allocated += 1
        cred = credentials.ensure_enterprise_credential(db.session.get(Enterprise, eid))
        db.session.commit()
        receive_id, cred_id = receive.id, cred.id
    assert change(client, receive_id).status_code == 303
    assert signed_in("approver").post(f"/requests/{request_of(app).id}/approve",
                                      data={}).status_code == 303
    with app.app_context():
        db.session.get(Credential, cred_id).status = "disabled"  # as before the fix
        db.session.commit()
        last = db.session.scalar(select(db.func.max(OutboxEmail.id)))
    assert client.post(f"/credentials/{cred_id}/reissue").status_code == 303
    with app.app_context():
        sent = db.session.scalars(select(OutboxEmail.to_addr).where(OutboxEmail.id > last)).all()
    assert sent == ["buyer@example.com"]


def test_a_tax_id_that_holds_an_entitlement_again_gets_a_usable_credential(
        app, client, both, signed_in, make_batch, make_order):
    """A tax ID that lost everything (已停用) and gets an entitlement again — by a tax ID change
    to it, or by a new allocation — has a usable credential with new values."""
    from webapp.credentials import service as credentials
    from webapp.orm import utcnow

    approver = signed_in("approver")
    with app.app_context():
        issue = db.session.scalar(select(Allocation.id).where(
            Allocation.enterprise_id == both["enterprise"], Allocation.id != both["receive"]))
        cred = db.session.scalar(select(Credential).where(
            Credential.enterprise_id == both["enterprise"]))
        cred_id, first_client_id = cred.id, cred.client_id
    for allocation_id, kind, fee in ((both["receive"], "tax_change_receive", {}),
                                     (issue, "tax_change_issue", {"fee": "300"})):
        assert change(client, allocation_id, kind).status_code == 303
        req = request_of(app)
        assert approver.post(f"/requests/{req.id}/approve", data=fee).status_code == 303
        if kind == "tax_change_issue":
            assert approver.post(f"/requests/{req.id}/paid",
                                 data={"payment_ref": "P"}).status_code == 303
    with app.app_context():
        assert db.session.get(Credential, cred_id).status == "disabled"  # it holds nothing now
    # a second order of the tenant: another enterprise's 收票 changes to the old tax ID
    second_id, _key = make_order()
    with app.app_context():
        second = db.session.get(Order, second_id)
        second.tenant_id, second.activated_at = both["tenant_id"], utcnow()
        db.session.commit()
    _b, (other,) = make_batch(both, order_id=second_id, line_index=1,
                              names=[("苏州第三企业有限公司", tax_id(23))])
    with app.app_context():
        moving = db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == other))
    response = client.post(f"/requests/tax/{moving}", data={
        "kind": "tax_change_receive", "change_case": "wrong_tax_id",
        "new_name": "苏州两产品企业有限公司", "new_tax_id": BOTH, "reason": "改为原税号",
        "action": "submit"})
    assert response.status_code == 303
    assert approver.post(f"/requests/{request_of(app).id}/approve", data={}).status_code == 303
    assert request_of(app).status == "executed"
    with app.app_context():
        cred = db.session.get(Credential, cred_id)
        assert cred.status == "active" and cred.client_id != first_client_id
        # and a batch allocating to a switched-off tax ID renews it before mailing its values
        cred.status = "disabled"
        db.session.commit()
    batch_id, _ids = make_batch(both, order_id=second_id, line_index=0,
                                names=[("苏州第四企业有限公司", tax_id(24))])
    with app.app_context():
        line_id = db.session.get(Order, second_id).lines[0].id
        db.session.add(Allocation(line_id=line_id, enterprise_id=both["enterprise"],
                                  batch_id=batch_id))
        db.session.commit()
        rows = credentials.batch_values(batch_id)
        db.session.commit()
        shown = {r["enterprise"]["id"]: r["creds"]["production"]["client_id"] for r in rows}
        cred = db.session.get(Credential, cred_id)
        assert cred.status == "active" and shown[both["enterprise"]] == cred.client_id
