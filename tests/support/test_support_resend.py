"""【重新推送激活邮件】 through the support console, delivered by a real SMTP server."""
import re
from datetime import timedelta

from factories import count, link_and_key, login
from fixtures.smtp import free_port, text_of

from webapp.core import outbox
from webapp.extensions import db
from webapp.models import AuditEntry, Order, OutboxEmail
from webapp.orm import utcnow
from webapp.support import service as support

REASON = "客户未收到激活邮件，已确认不在垃圾邮件中"


def _send(app, **kw):
    with app.app_context():
        return outbox.send_due(**kw)


def _staff_client(app, make_staff, role="support"):
    client = app.test_client()
    login(client, make_staff(role))
    return client


def test_resend_mails_a_new_key_that_works_while_the_old_key_and_link_fail(
        make_app, make_order, make_staff, smtp_server):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    order_id, _ = make_order(order_no="SO-700")
    assert _send(app).sent == 1
    old_link, old_key = link_and_key(text_of(smtp_server.inbox.messages[0]))

    staff = _staff_client(app, make_staff)
    response = staff.post(f"/support/orders/{order_id}/resend", data={"reason": REASON})
    assert response.status_code == 303
    assert "已重新推送激活邮件" in staff.get(response.location).get_data(as_text=True)
    assert _send(app).sent == 1

    assert len(smtp_server.inbox.messages) == 2
    message = smtp_server.inbox.messages[1]
    assert message["To"] == "buyer@example.com" and "SO-700" in message["Subject"]
    new_link, new_key = link_and_key(text_of(message))
    assert new_key != old_key and new_link != old_link

    customer = app.test_client()
    assert customer.get(old_link).status_code == 410
    assert "已被新的激活邮件取代" in customer.get(old_link).get_data(as_text=True)
    assert customer.post(f"{old_link}/key", data={"key": new_key}).status_code == 410
    refused = customer.post(f"{new_link}/key", data={"key": old_key})
    assert refused.status_code == 422 and "操作密钥不正确" in refused.get_data(as_text=True)
    assert customer.post(f"{new_link}/key", data={"key": new_key}).status_code == 303
    assert "选择对接ERP及部署方式" in customer.get(new_link).get_data(as_text=True)

    # who did it and why, on the order page and in the audit log
    page = staff.get(f"/support/orders/{order_id}").get_data(as_text=True)
    assert "重新推送激活邮件" in page and REASON in page
    assert page.count("已发送") >= 2
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action=support.RESEND_ACTION).one()
        assert entry.actor_label.startswith("support-") and entry.detail["reason"] == REASON
        assert entry.target_id == order_id


def test_resend_is_refused_for_an_undelivered_order(app, client, make_order, make_staff):
    order_id, _ = make_order(delivered=False)
    login(client, make_staff("support"))
    response = client.post(f"/support/orders/{order_id}/resend", data={"reason": REASON})
    assert response.status_code == 422
    assert "订单尚未交付，请联系销售人员确认" in response.get_data(as_text=True)
    assert count(app, OutboxEmail) == 0
    assert count(app, AuditEntry, AuditEntry.action == support.RESEND_ACTION) == 0
    with app.app_context():
        assert db.session.get(Order, order_id).key_hash is None
    # the htmx form gets the same refusal as a fragment
    fragment = client.post(f"/support/orders/{order_id}/resend", data={"reason": REASON},
                           headers={"HX-Request": "true"})
    assert fragment.status_code == 422
    text = fragment.get_data(as_text=True)
    assert "订单尚未交付，请联系销售人员确认" in text and "<html" not in text


def test_resend_is_limited_to_three_per_hour_across_processes(make_app, make_order, make_staff):
    first, second = make_app(), make_app()  # two web processes on one database
    order_id, _ = make_order()
    email = make_staff("support")
    clients = [first.test_client(), second.test_client()]
    for client in clients:
        login(client, email)
    for client in (clients[0], clients[1], clients[0]):
        assert client.post(f"/support/orders/{order_id}/resend",
                           data={"reason": REASON}).status_code == 303
    with first.app_context():
        hash_before = db.session.get(Order, order_id).key_hash
    refused = clients[1].post(f"/support/orders/{order_id}/resend", data={"reason": REASON})
    assert refused.status_code == 429
    assert "1 小时内已重新推送 3 次" in refused.get_data(as_text=True)
    assert count(first, OutboxEmail) == 1 + 3
    with first.app_context():
        order = db.session.get(Order, order_id)
        assert order.key_hash == hash_before  # the refused resend did not rotate the key
        # an hour later it is allowed again
        assert support.resends_in_last_hour(order, utcnow() + timedelta(minutes=61)) == 0


def test_resend_is_refused_for_an_activated_order(app, client, make_admin, make_staff):
    admin = make_admin()
    login(client, make_staff("ops"))
    response = client.post(f"/support/orders/{admin['order_id']}/resend", data={"reason": REASON})
    assert response.status_code == 409
    assert "该订单已激活" in response.get_data(as_text=True)
    assert count(app, OutboxEmail) == 1


def test_resend_needs_a_reason(app, client, make_order, make_staff):
    order_id, _ = make_order()
    login(client, make_staff("support"))
    for reason in ("", "   ", "长" * 501):
        response = client.post(f"/support/orders/{order_id}/resend", data={"reason": reason})
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert "请填写原因" in text or "原因不超过 500 字" in text
    assert count(app, OutboxEmail) == 1


def test_history_shows_a_failed_delivery_and_its_later_success(
        make_app, make_order, make_staff, smtp_server):
    down = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    order_id, _ = make_order(order_no="SO-800")
    assert _send(down).failed == 1
    staff = _staff_client(down, make_staff)
    history = _history(staff, order_id)
    assert "激活邮件" in history and "待发送" in history and "已发送" not in history
    assert "ConnectionRefusedError" in history
    assert smtp_server.inbox.messages == []

    up = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    assert _send(up).sent == 0  # still inside its backoff
    assert _send(up, now=utcnow() + timedelta(minutes=5)).sent == 1
    history = _history(staff, order_id)
    assert "已发送" in history and "待发送" not in history
    assert "ConnectionRefusedError" not in history
    assert ">2<" in history  # two attempts
    assert len(smtp_server.inbox.messages) == 1
    assert "SO-800" in smtp_server.inbox.messages[0]["Subject"]


def test_history_shows_an_email_that_gave_up(make_app, make_order, make_staff):
    down = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=1)
    order_id, _ = make_order()
    _send(down)
    history = _history(_staff_client(down, make_staff), order_id)
    assert "发送失败" in history and "ConnectionRefusedError" in history


def _history(client, order_id) -> str:
    """The email history fragment (what the order page shows and htmx refreshes)."""
    response = client.get(f"/support/orders/{order_id}/emails", headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_support_corrects_the_contact_email_then_resends(app, client, make_order, make_staff):
    order_id, _ = make_order(email="typo@exampel.com")
    login(client, make_staff("support"))
    url = f"/support/orders/{order_id}/contact-email"
    for bad, message in (("not-an-email", "邮箱地址无效"), ("<script>@x.com", "邮箱地址无效"),
                         ("a" * 250 + "@x.com", "邮箱不超过 254 位"),
                         ("typo@exampel.com", "新联系邮箱与当前联系邮箱相同")):
        response = client.post(url, data={"contact_email": bad, "reason": "客户来电更正"})
        assert response.status_code == 422, bad
        assert message in response.get_data(as_text=True)
    assert client.post(url, data={"contact_email": "right@example.com"}).status_code == 422
    with app.app_context():
        assert db.session.get(Order, order_id).contact_email == "typo@exampel.com"

    response = client.post(url, data={"contact_email": " Right@Example.com ", "reason": "客户来电更正"})
    assert response.status_code == 303
    assert client.post(f"/support/orders/{order_id}/resend",
                       data={"reason": "邮箱更正后重发"}).status_code == 303
    with app.app_context():
        assert db.session.get(Order, order_id).contact_email == "right@example.com"
        latest = db.session.query(OutboxEmail).order_by(OutboxEmail.id.desc()).first()
        assert latest.to_addr == "right@example.com" and latest.kind == "activation"
        entry = db.session.query(AuditEntry).filter_by(
            action="support.contact_email_changed").one()
        assert entry.detail == {"old": "typo@exampel.com", "new": "right@example.com",
                                "reason": "客户来电更正"}
    page = client.get(f"/support/orders/{order_id}").get_data(as_text=True)
    assert "typo@exampel.com → right@example.com" in page


def test_contact_email_of_an_activated_order_is_not_changed(app, client, make_admin, make_staff):
    admin = make_admin()
    login(client, make_staff("support"))
    response = client.post(f"/support/orders/{admin['order_id']}/contact-email",
                           data={"contact_email": "other@example.com", "reason": "x"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Order, admin["order_id"]).contact_email == "buyer@example.com"


def test_resend_withdraws_an_activation_email_still_waiting(make_app, make_order, make_staff,
                                                            smtp_server):
    """While SMTP is down the first email waits; after a resend only the new key is mailed."""
    down = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    order_id, _ = make_order(order_no="SO-810")
    assert _send(down).failed == 1
    staff = _staff_client(down, make_staff)
    assert staff.post(f"/support/orders/{order_id}/resend",
                      data={"reason": REASON}).status_code == 303
    history = _history(staff, order_id)
    assert "已作废" in history and support.SUPERSEDED in history and "待发送" in history

    up = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    assert _send(up, now=utcnow() + timedelta(hours=2)).sent == 1
    assert len(smtp_server.inbox.messages) == 1
    link, key = link_and_key(text_of(smtp_server.inbox.messages[0]))
    assert up.test_client().post(f"{link}/key", data={"key": key}).status_code == 303


def test_hostile_reason_is_stored_as_text_and_shown_escaped(app, client, make_order, make_staff):
    order_id, _ = make_order()
    login(client, make_staff("support"))
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert client.post(f"/support/orders/{order_id}/resend",
                       data={"reason": hostile}).status_code == 303
    page = client.get(f"/support/orders/{order_id}").get_data(as_text=True)
    assert hostile not in page and "&lt;script&gt;alert(" in page
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action=support.RESEND_ACTION).one()
        assert entry.detail["reason"] == hostile


def test_a_withdrawn_email_reads_as_void_not_as_a_failure(make_app, make_order, make_staff):
    """A resend withdraws the activation email still waiting: support's history and the
    development mailbox call it 已作废 (it was never tried, nothing failed)."""
    order_id, _ = make_order(order_no="SO-VOID")
    app = make_app(DEV_MAILBOX=True)
    staff = _staff_client(app, make_staff)
    assert staff.post(f"/support/orders/{order_id}/resend",
                      data={"reason": REASON}).status_code == 303
    history = _history(staff, order_id)
    void_row = re.search(r'<tr class="email-failed">[\s\S]*?</tr>', history).group(0)
    assert 'class="mail-state mail-void">已作废</span>' in void_row
    assert "发送失败" not in history and support.SUPERSEDED in void_row
    assert "mail-error" not in void_row

    mailbox = app.test_client().get("/dev/mailbox").get_data(as_text=True)
    assert "已作废" in mailbox and "发送失败" not in mailbox
    first = re.findall(r'href="(/dev/mailbox/\d+)"', mailbox)[-1]  # newest first: the old one
    page = app.test_client().get(first).get_data(as_text=True)
    assert "邮件已作废，未发送" in page and "邮件已发送，正文已清除" not in page
