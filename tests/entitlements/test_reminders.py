"""`flask --app webapp reminders send`: tenant admins are emailed once per line and threshold."""
from datetime import date, timedelta

import bulk
import pytest
from factories import PASSWORD, count
from fixtures.smtp import text_of
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.core import outbox
from webapp.entitlements import reminders
from webapp.extensions import db
from webapp.models import OutboxEmail, ReminderSent, User

DAY = date(2026, 6, 1)


def _world(app):
    with app.app_context():
        t = bulk.tenant("提醒测试有限公司")
        ents = bulk.enterprises(t, 3)
        soon = bulk.order(t, "SO-SOON", {"issue": (5, DAY + timedelta(days=20)),
                                             "receive": (5, DAY + timedelta(days=5))})
        later = bulk.order(t, "SO-LATER", {"issue": (5, DAY + timedelta(days=40))})
        gone = bulk.order(t, "SO-GONE", {"issue": (5, DAY - timedelta(days=1))})
        idle = bulk.order(t, "SO-IDLE", {"issue": (5, DAY + timedelta(days=10))})
        forever = bulk.order(t, "SO-FOREVER", {"issue": (5, None)})
        for lines in (soon, later, gone, forever):
            for line_id in lines.values():
                bulk.allocate(line_id, ents[:2])
        bulk.tenant_admin(t, "admin1@example.com", PASSWORD)
        bulk.tenant_admin(t, "admin2@example.com", PASSWORD)
        gone_admin = bulk.tenant_admin(t, "left@example.com", PASSWORD)
        db.session.get(User, gone_admin).active = False
        orphan = bulk.tenant("无管理员有限公司")
        o_line = bulk.order(orphan, "SO-ORPHAN", {"issue": (1, DAY + timedelta(days=3))})
        bulk.allocate(o_line["issue"], bulk.enterprises(orphan, 1, start=900))
        db.session.commit()
    return {"tenant": t, "soon": soon, "idle": idle}


def _run(app, day):
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_threshold_for():
    assert reminders.threshold_for(30) == 30 and reminders.threshold_for(8) == 30
    assert reminders.threshold_for(7) == 7 and reminders.threshold_for(0) == 7
    assert reminders.threshold_for(31) is None and reminders.threshold_for(-1) is None


def test_reminders_go_once_per_line_and_threshold(app):
    world = _world(app)
    output = _run(app, DAY)
    assert "2 email(s) for 2 line(s)" in output
    assert "skipped (no active tenant admin): 无管理员有限公司" in output
    with app.app_context():
        emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "reminder")).all()
        assert sorted(e.to_addr for e in emails) == ["admin1@example.com", "admin2@example.com"]
        text = outbox.body(emails[0])[0]
        sent = {(r.line_id, r.threshold) for r in db.session.scalars(select(ReminderSent))}
    assert "SO-SOON" in text and "还剩 20 天" in text and "还剩 5 天" in text
    for absent in ("SO-LATER", "SO-GONE", "SO-IDLE", "SO-FOREVER"):
        assert absent not in text
    assert sent == {(world["soon"]["issue"], 30), (world["soon"]["receive"], 7)}

    # a rerun the same day, and the next day, sends nothing new
    assert "0 email(s) for 0 line(s)" in _run(app, DAY)
    assert "0 email(s) for 0 line(s)" in _run(app, DAY + timedelta(days=1))
    assert count(app, OutboxEmail, OutboxEmail.kind == "reminder") == 2

    # 15 days later the 20-day line crosses the 7-day threshold and the 40-day line the 30-day one
    assert "2 email(s) for 2 line(s)" in _run(app, DAY + timedelta(days=15))
    with app.app_context():
        latest = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
        text = outbox.body(latest)[0]
    assert "SO-LATER" in text and "还剩 25 天" in text and "SO-SOON" in text and "还剩 5 天" in text
    assert "发票云收票" not in text  # its 7-day reminder already went out
    assert "0 email(s) for 0 line(s)" in _run(app, DAY + timedelta(days=16))
    assert count(app, ReminderSent) == 4


def test_a_real_smtp_server_receives_the_reminder(make_app, smtp_server):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    _world(app)
    _run(app, DAY)
    with app.app_context():
        report = outbox.send_due()
    assert report.sent == 2 and report.failed == 0
    messages = smtp_server.inbox.messages
    assert sorted(m["To"] for m in messages) == ["admin1@example.com", "admin2@example.com"]
    assert "权益即将到期提醒" in messages[0]["Subject"]
    body = text_of(messages[0])
    assert "SO-SOON" in body and "http://portal.test/entitlements/" in body
    _run(app, DAY)
    with app.app_context():
        assert outbox.send_due().sent == 0
    assert len(smtp_server.inbox.messages) == 2


def test_bad_date_option_is_refused(app):
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", "2026-13-01"])
    assert result.exit_code != 0 and "Invalid value" in result.output


def test_the_schema_refuses_a_second_record_for_a_line_and_threshold(app):
    world = _world(app)
    _run(app, DAY)
    with app.app_context():
        db.session.add(ReminderSent(line_id=world["soon"]["issue"], threshold=30,
                                    tenant_id=world["tenant"]))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
