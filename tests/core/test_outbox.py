"""The outbox against a real SMTP server on loopback: down, hanging, back, and concurrent senders."""
import socket
import threading
from datetime import timedelta

from factories import link_and_key
from fixtures.smtp import free_port, text_of

from webapp.core import outbox
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.orm import utcnow


def _emails(app):
    with app.app_context():
        return db.session.query(OutboxEmail).order_by(OutboxEmail.id).all()


def test_activation_email_arrives_with_link_and_key_that_work(make_app, smtp_server, make_order):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    make_order(order_no="SO-MAIL", customer="宁波邮件测试有限公司", email="mail@example.com")
    with app.app_context():
        assert outbox.send_due().sent == 1
    [message] = smtp_server.inbox.messages
    assert message["To"] == "mail@example.com"
    assert "SO-MAIL" in message["Subject"] and "激活" in message["Subject"]
    text = text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    link, key = link_and_key(text)
    assert key in html and link in html
    assert "请先联系销售人员确认订单是否已交付" in text and "下单企业全称及订单号" in text

    client = app.test_client()
    assert client.post(f"{link}/key", data={"key": key}).status_code == 303
    assert "选择对接ERP及部署方式" in client.get(link).get_data(as_text=True)

    [email] = _emails(app)
    assert email.status == "sent" and email.sent_at is not None
    # the key lives on only in the recipient's mailbox
    assert email.text_enc is None and email.html_enc is None


def test_smtp_down_keeps_mail_pending_then_delivers_exactly_once(make_app, smtp_server, make_order):
    down = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    make_order()
    with down.app_context():
        report = outbox.send_due()
    assert (report.sent, report.failed) == (0, 1)
    [email] = _emails(down)
    assert email.status == "pending" and email.attempts == 1
    assert "Connection refused" in email.last_error or "ConnectionRefused" in email.last_error
    assert email.next_attempt_at > utcnow()
    assert email.text_enc is not None  # nothing lost

    up = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with up.app_context():
        assert outbox.send_due().sent == 0  # backing off: not due yet
        later = utcnow() + timedelta(hours=2)
        assert outbox.send_due(now=later).sent == 1
        assert outbox.send_due(now=later + timedelta(hours=2)).sent == 0
    assert len(smtp_server.inbox.messages) == 1
    [email] = _emails(up)
    assert email.status == "sent" and email.last_error is None and email.attempts == 2


def test_mail_gives_up_after_max_attempts_and_says_so(make_app, make_order):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=2)
    make_order()
    with app.app_context():
        outbox.send_due()
        outbox.send_due(now=utcnow() + timedelta(days=1))
    [email] = _emails(app)
    assert email.status == "failed" and email.status_label == "发送失败"
    assert email.last_error


def test_concurrent_senders_deliver_each_email_once(make_app, smtp_server, make_order):
    for n in range(5):
        make_order(order_no=f"SO-C{n}", email=f"c{n}@example.com")
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)

    def sender():
        with app.app_context():
            outbox.send_due()
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    recipients = sorted(m["To"] for m in smtp_server.inbox.messages)
    assert recipients == [f"c{n}@example.com" for n in range(5)]
    assert {e.status for e in _emails(app)} == {"sent"}


class HangingSMTP:
    """Accepts connections and never answers (an SMTP server that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        for conn in self.conns:
            conn.close()
        self.sock.close()


def test_hanging_smtp_server_times_out_and_keeps_the_mail(make_app, make_order):
    hanging = HangingSMTP()
    try:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=hanging.port, MAIL_TIMEOUT=1)
        make_order()
        result = {}

        def sender():
            with app.app_context():
                result["report"] = outbox.send_due()

        worker = threading.Thread(target=sender, daemon=True)
        worker.start()
        worker.join(30)  # a guard against hanging forever, not a timing assertion
        assert not worker.is_alive(), "the sender hung on a silent SMTP server"
        assert result["report"].failed == 1
        [email] = _emails(app)
        assert email.status == "pending" and "timed out" in email.last_error.lower()
    finally:
        hanging.close()


def test_hanging_smtp_server_does_not_hang_web_requests(live_server, make_order):
    hanging = HangingSMTP()
    try:
        server = live_server(MAIL_SERVER="127.0.0.1", MAIL_PORT=hanging.port, MAIL_TIMEOUT=30,
                             OUTBOX_SENDER="thread", OUTBOX_POLL_SECONDS=0.1)
        make_order()
        import urllib.request

        urllib.request.urlopen(server.url + "/login").read()  # starts the sender thread
        # wait until the sender is stuck inside the SMTP conversation
        for _ in range(400):
            if hanging.conns:
                break
            threading.Event().wait(0.05)
        assert hanging.conns, "the sender never reached the SMTP server"
        for _ in range(3):
            with urllib.request.urlopen(server.url + "/login") as response:
                assert response.status == 200
        [email] = _emails(server.app)
        # the pages answered while the email was still out with the hanging server
        assert email.claim_token is not None and email.attempts == 0
    finally:
        server.app.extensions["outbox_stop"].set()
        hanging.close()
