"""Fee, then payment, then execution: the approver sets the fee when approving (in the UPDATE
that moves the state); 标记已付款 is offered and applies only on an approved, unpaid 开票
request and never touches the fee; racing steps leave the state and the audit log agreeing."""
import multiprocessing

import pytest
from factories import PASSWORD, tax_id
from request_rows import filed_tax_change, request_of, step_worker
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEntry

NEW = tax_id(778, "91330100")


@pytest.fixture
def issue(app, client, admin, make_batch, database_url):
    """A pending 开票 (paid) tax ID change."""
    return filed_tax_change(app, client, admin, make_batch, database_url, kind="tax_change_issue",
                            line_index=0, name="苏州付费企业有限公司", tax_id=tax_id(15),
                            new_name="杭州付费新企业有限公司", new_tax_id=NEW)


def test_paid_is_neither_offered_nor_applied_before_approval(app, issue, signed_in):
    req = issue["request"]
    approver = signed_in("approver")
    html = approver.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "通过" in html and 'name="fee"' in html and "标记已付款" not in html
    response = approver.post(f"/requests/{req.id}/paid", data={"payment_ref": "PAY-EARLY"})
    assert response.status_code == 409 and "尚未审批通过" in response.get_data(as_text=True)
    after = request_of(app)
    assert (after.status, after.fee_cents, after.fee_paid_at) == ("pending", None, None)
    # the fee field is still there, and approving fixes the fee chosen
    assert approver.post(f"/requests/{req.id}/approve", data={"fee": "300"}).status_code == 303
    html = approver.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "¥300.00" in html and "标记已付款" in html
    assert approver.post(f"/requests/{req.id}/paid", data={"payment_ref": "PAY-1"}).status_code == 303
    done = request_of(app)
    assert (done.status, done.fee_cents, done.payment_ref) == ("executed", 30000, "PAY-1")
    html = approver.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "标记已付款</button>" not in html and "¥300.00" in html


def _race(config, steps) -> list[int]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(steps)), ctx.Queue()
    procs = [ctx.Process(target=step_worker, args=(config, email, PASSWORD, url, data, barrier,
                                                   results)) for email, url, data in steps]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    return [o[1] for o in outcomes]


def test_approving_while_another_marks_paid_keeps_the_approved_fee(app, issue, make_staff):
    req = issue["request"]
    statuses = _race(issue["config"], [
        (make_staff("approver"), f"/requests/{req.id}/approve", {"fee": "300"}),
        (make_staff("approver"), f"/requests/{req.id}/paid", {"payment_ref": "PAY-RACE"})])
    assert sorted(statuses) in ([303, 303], [303, 409])
    after = request_of(app)
    assert after.fee_cents == 30000
    with app.app_context():
        approved = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "request.approved")).all()
        paid = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "request.paid")).all()
    assert approved and {e.detail["fee_cents"] for e in approved} == {30000}
    if after.fee_paid_at is None:  # marking paid lost: nothing of it was written
        assert (after.status, paid) == ("approved", [])
    else:
        assert after.status == "executed" and {e.detail["fee_cents"] for e in paid} == {30000}
