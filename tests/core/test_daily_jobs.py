"""The daily jobs `outbox work` runs: expiry reminders go out once a day across all workers."""
import time
from datetime import timedelta

import bulk
from factories import PASSWORD, count
from fixtures.processes import outbox_worker, process_env, stop, wait_for

from webapp.core import daily
from webapp.entitlements import reminders
from webapp.extensions import db
from webapp.models import DailyJobRun, OutboxEmail
from webapp.orm import CST, utcnow


def _expiring_soon(app):
    today = utcnow().astimezone(CST).date()
    with app.app_context():
        t = bulk.tenant("每日提醒有限公司")
        line = bulk.order(t, "SO-DAILY", {"issue": (5, today + timedelta(days=5))})
        bulk.allocate(line["issue"], bulk.enterprises(t, 1))
        bulk.tenant_admin(t, "daily-admin@example.com", PASSWORD)
        db.session.commit()
    return today


def test_two_workers_send_todays_reminders_once(app, database_url):
    today = _expiring_soon(app)
    env = process_env(database_url, OUTBOX_SENDER="off", DAILY_JOBS_CHECK_SECONDS=0.3,
                      OUTBOX_POLL_SECONDS=0.1)
    workers = [outbox_worker(env), outbox_worker(env)]
    try:
        wait_for(lambda: count(app, OutboxEmail, OutboxEmail.kind == "reminder"), 60,
                 what="a worker to queue the reminder")
        time.sleep(1.5)  # several more checks by both workers
        assert all(w.poll() is None for w in workers)
    finally:
        output = [stop(w) for w in workers]
    assert count(app, OutboxEmail, OutboxEmail.kind == "reminder") == 1, output
    with app.app_context():
        [run] = db.session.query(DailyJobRun).all()
        assert (run.job, run.day, run.result) == ("reminders", today, "1 email(s) for 1 line(s)")
        [email] = db.session.query(OutboxEmail).filter_by(kind="reminder").all()
        assert email.to_addr == "daily-admin@example.com"


def test_a_day_runs_each_job_once_and_a_failed_run_is_retried(app):
    today = _expiring_soon(app)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return reminders.daily()

    app.extensions["daily_jobs"] = {"reminders": flaky}
    with app.app_context():
        assert daily.run_due(app, today) == []  # failed: nothing recorded
        assert db.session.query(DailyJobRun).count() == 0
        assert daily.run_due(app, today) == ["reminders"]
        assert daily.run_due(app, today) == []
        assert daily.run_due(app, today + timedelta(days=1)) == ["reminders"]
    assert len(calls) == 3
    # the next day's run finds the line already reminded at this threshold
    assert count(app, OutboxEmail, OutboxEmail.kind == "reminder") == 1
