"""What waits for you is in front of you: the holder's home lists the request it must confirm,
the approver's home its queue, support's home failed emails and stuck requests; every email
says who must do what next."""
from datetime import timedelta
from html import unescape

import pytest
from factories import login, tax_id
from request_rows import request_of
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ChangeRequest, Enterprise, OutboxEmail
from webapp.orm import utcnow

HOLDER = "杭州另一集团有限公司"


@pytest.fixture
def filed(app, client, make_admin):
    """This tenant filed a move of an enterprise the holder tenant owns (待对方确认)."""
    mine = make_admin()
    login(client, mine["email"])
    other = make_admin(customer=HOLDER, email="other@example.com")
    with app.app_context():
        db.session.add(Enterprise(tenant_id=other["tenant_id"], tax_id=tax_id(9), name="杭州子公司"))
        db.session.commit()
    assert client.post("/requests/move", data={"tax_id": tax_id(9),
                                               "reason": "并入本集团"}).status_code == 303
    holder = app.test_client()
    login(holder, other["email"])
    return {"request": request_of(app), "holder": holder}


def test_the_holders_home_shows_the_request_waiting_for_its_confirmation(app, client, filed):
    req, holder = filed["request"], filed["holder"]
    page = holder.get("/home")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "待您确认的申请" in html
    assert f'<a href="/requests/{req.id}">申请 #{req.id} 企业变更租户</a>' in html
    assert '<dd id="open-requests">1</dd>' in html
    # the filer's home has nothing to confirm
    assert "待您确认的申请" not in client.get("/home").get_data(as_text=True)
    assert holder.post(f"/requests/{req.id}/accept", data={"comment": "同意"}).status_code == 303
    assert "待您确认的申请" not in holder.get("/home").get_data(as_text=True)


def test_every_email_says_who_must_do_what_next(app, filed):
    from webapp.core import crypto

    with app.app_context():
        texts = [crypto.decrypt(e.text_enc) for e in db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "request")) if e.text_enc]
    assert texts and all(f"下一步：待现租户【{HOLDER}】确认：请现租户的管理员打开申请页面，点击【确认】或【拒绝】"
                         in t for t in texts)


def test_the_approver_home_shows_the_queue(app, filed, signed_in):
    req, holder = filed["request"], filed["holder"]
    approver = signed_in("approver")
    assert f"申请 #{req.id}" not in approver.get("/home").get_data(as_text=True)  # not pending yet
    assert holder.post(f"/requests/{req.id}/accept", data={}).status_code == 303
    html = unescape(approver.get("/home").get_data(as_text=True))
    assert "待审批（1）" in html and f'<a href="/requests/{req.id}">申请 #{req.id} 企业变更租户</a>' in html


def test_the_support_home_shows_failed_emails_and_stuck_requests(app, filed, signed_in):
    req = filed["request"]
    with app.app_context():
        email = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).first()
        email.status, email.last_error, to = "failed", "550 mailbox unavailable", email.to_addr
        db.session.get(ChangeRequest, req.id).created_at = utcnow() - timedelta(days=4)
        db.session.commit()
    html = unescape(signed_in("support").get("/home").get_data(as_text=True))
    assert "发送失败的邮件" in html and to in html and "550 mailbox unavailable" in html
    assert "停滞的申请" in html and f"申请 #{req.id} 企业变更租户</a> · 待对方确认" in html
