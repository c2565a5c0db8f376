"""Two approvers in two PROCESSES approving one request at once: it executes once."""
import multiprocessing

import pytest
from factories import PASSWORD, login, tax_id
from request_rows import filed_tax_change, request_of, step_worker
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Allocation, Enterprise, OrderLine, RequestEvent

NEW = tax_id(777, "91330100")


@pytest.fixture
def pending(app, client, admin, make_batch, database_url):
    return filed_tax_change(app, client, admin, make_batch, database_url, kind="tax_change_receive",
                            line_index=1, name="苏州并发企业有限公司", tax_id=tax_id(14),
                            new_name="杭州并发新企业有限公司", new_tax_id=NEW)


def run(config, emails, url, data) -> list[int]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(emails)), ctx.Queue()
    procs = [ctx.Process(target=step_worker, args=(config, email, PASSWORD, url, data, barrier,
                                                   results)) for email in emails]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    return sorted(o[1] for o in outcomes)


def test_two_approvers_at_once_execute_once(app, pending, make_staff):
    req = pending["request"]
    emails = [make_staff("approver"), make_staff("approver")]
    statuses = run(pending["config"], emails, f"/requests/{req.id}/approve", {"comment": "同意"})
    assert statuses == [303, 409]
    assert request_of(app).status == "executed"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)
                                 .where(Enterprise.tax_id == NEW)) == 1
        line_id = db.session.get(Allocation, pending["alloc"]).line_id
        rows = db.session.scalar(select(func.count()).select_from(Allocation)
                                 .where(Allocation.line_id == line_id))
        assert rows == 2 and db.session.get(OrderLine, line_id).allocated == 1
        executed = db.session.scalar(select(func.count()).select_from(RequestEvent).where(
            RequestEvent.request_id == req.id, RequestEvent.action == "executed"))
        assert executed == 1


def test_a_replayed_approval_form_executes_once(app, pending, make_staff):
    req = pending["request"]
    approver = app.test_client()
    login(approver, make_staff("approver"))
    assert approver.post(f"/requests/{req.id}/approve", data={}).status_code == 303
    response = approver.post(f"/requests/{req.id}/approve", data={})
    assert response.status_code == 409 and "该申请已被处理" in response.get_data(as_text=True)
    assert approver.post(f"/requests/{req.id}/retry", data={}).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)
                                 .where(Enterprise.tax_id == NEW)) == 1
