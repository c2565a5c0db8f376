"""The outbox when senders die: a stable Message-ID on every attempt, leases a dead sender
frees within a minute, renewed leases for a live one, and a worker killed mid-batch."""
import asyncio
import os
import signal
import threading
from collections import Counter
from datetime import timedelta

import pytest
from fixtures.processes import outbox_worker, process_env, stop, wait_for
from fixtures.smtp import Inbox, free_port

from webapp.core import outbox
from webapp.core.outbox.sender import _claim
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.orm import utcnow


class ControlledInbox(Inbox):
    """Records every DATA it is offered; can refuse the first ones, wait, or keep one and hold
back its 250 (as a server that queued the message before the client died)."""

    def __init__(self, refuse=0, delay=0.0, hold_at=None):
        super().__init__()
        self.offered, self.refuse, self.delay, self.hold_at = [], refuse, delay, hold_at
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        import email.policy

        self.offered.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        if len(self.offered) <= self.refuse:
            return "451 4.3.0 try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        if len(self.offered) == self.hold_at:
            # Queued on our side, but the 250 is held back: the client dies before it arrives.
            self.messages.append(self.offered[-1])
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "250 OK"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def controlled_smtp():
    from aiosmtpd.controller import Controller

    controllers = []

    def start(**kw):
        inbox = ControlledInbox(**kw)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        controller.inbox = inbox
        controllers.append(controller)
        return controller

    yield start
    for controller in controllers:
        controller.inbox.release.set()
        controller.stop()


def _rows(app):
    with app.app_context():
        rows = db.session.query(OutboxEmail).order_by(OutboxEmail.id).all()
        db.session.expunge_all()
        return rows


def test_a_retry_carries_the_same_stored_message_id(make_app, controlled_smtp, make_order):
    server = controlled_smtp(refuse=1)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    make_order(email="retry@example.com")
    with app.app_context():
        assert (outbox.send_due().failed, outbox.send_due(now=utcnow() + timedelta(hours=1)).sent) \
            == (1, 1)
    [row] = _rows(app)
    first, second = server.inbox.offered
    assert row.message_id.startswith("<") and row.message_id.endswith("@portal.test>")
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert [m["Message-ID"] for m in server.inbox.messages] == [row.message_id]
    assert row.status == "sent" and row.attempts == 2


def test_every_queued_email_has_its_own_message_id(app, make_order):
    for n in range(3):
        make_order(order_no=f"SO-ID{n}")
    ids = [row.message_id for row in _rows(app)]
    assert len(set(ids)) == 3


def test_a_dead_senders_claim_is_picked_up_after_the_lease(make_app, smtp_server, make_order):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    assert app.config["OUTBOX_LEASE_SECONDS"] <= 60  # picked up within a minute
    make_order(email="orphan@example.com")
    with app.app_context():
        token, ids = _claim(utcnow(), 50)  # a sender that claims and dies before sending
        assert len(ids) == 1
        assert outbox.send_due().sent == 0  # still leased to the dead sender
        after = utcnow() + timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
        assert outbox.send_due(now=after).sent == 1
    assert [m["To"] for m in smtp_server.inbox.messages] == ["orphan@example.com"]


def test_a_slow_live_sender_renews_its_lease_and_keeps_its_batch(make_app, controlled_smtp,
                                                                 make_order):
    server = controlled_smtp(delay=0.4)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, OUTBOX_LEASE_SECONDS=1)
    for n in range(6):
        make_order(order_no=f"SO-SLOW{n}", email=f"slow{n}@example.com")
    done = threading.Event()

    def slow_sender():
        with app.app_context():
            outbox.send_due()
            db.session.remove()
        done.set()

    def eager_sender():
        with app.app_context():
            while not done.is_set():
                outbox.send_due()
                done.wait(0.1)
            db.session.remove()

    threads = [threading.Thread(target=slow_sender), threading.Thread(target=eager_sender)]
    threads[0].start()
    wait_for(lambda: server.inbox.offered, 30, what="the first delivery")
    threads[1].start()
    for thread in threads:
        thread.join(60)
    # the batch took longer than one lease, yet nobody else sent any of it
    counts = Counter(m["Message-ID"] for m in server.inbox.messages)
    assert sorted(counts.values()) == [1] * 6
    assert {row.status for row in _rows(app)} == {"sent"}


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_the_message_in_flight(
        make_app, database_url, controlled_smtp, make_order):
    server = controlled_smtp(hold_at=3)
    app = make_app()
    for n in range(6):
        make_order(order_no=f"SO-KILL{n}", email=f"kill{n}@example.com")
    env = process_env(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                      OUTBOX_SENDER="off", OUTBOX_LEASE_SECONDS=2, OUTBOX_POLL_SECONDS=0.1)
    first = outbox_worker(env, "--no-daily")
    try:
        wait_for(server.inbox.holding.is_set, 60, what="the worker to reach the third message")
        os.kill(first.pid, signal.SIGKILL)  # dies after sending DATA, before seeing the 250
        first.wait(10)
    finally:
        stop(first)
    server.inbox.release.set()
    assert len(server.inbox.messages) == 3  # the third was accepted: its 250 never arrived

    rows = _rows(app)
    # each accepted message was marked sent in its own commit before the next was offered
    assert [r.status for r in rows] == ["sent", "sent"] + ["pending"] * 4
    assert all(r.claim_token for r in rows[2:])  # still claimed by the dead worker

    second = outbox_worker(env, "--no-daily")
    try:
        wait_for(lambda: all(r.status == "sent" for r in _rows(app)), 60,
                 interval=0.2, what="the second worker to deliver the rest")
    finally:
        stop(second)
    rows = _rows(app)
    delivered = Counter(m["Message-ID"] for m in server.inbox.messages)
    assert set(delivered) == {r.message_id for r in rows}  # none lost
    # Only the message in flight when the worker died arrives twice, with the same Message-ID.
    assert {mid: n for mid, n in delivered.items() if n > 1} == {rows[2].message_id: 2}
    assert sorted(m["To"] for m in server.inbox.messages) == sorted(
        [f"kill{n}@example.com" for n in range(6)] + ["kill2@example.com"])


def test_outbox_status_counts_pending_and_failed_and_the_oldest_age(make_app, make_order):
    app = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0
    assert result.output == "pending 0\nfailed 0\noldest pending age -\n"
    for n in range(3):
        make_order(order_no=f"SO-ST{n}")
    with app.app_context():
        rows = db.session.query(OutboxEmail).order_by(OutboxEmail.id).all()
        rows[0].created_at = utcnow() - timedelta(minutes=10)
        rows[2].status = "failed"
        db.session.commit()
    result = runner.invoke(args=["outbox", "status"])
    lines = result.output.splitlines()
    assert lines[:2] == ["pending 2", "failed 1"]
    age = int(lines[2].removeprefix("oldest pending age ").removesuffix("s"))
    assert 600 <= age < 660
