"""Delivering queued email, exactly once each but for one documented window.

A sender claims due rows with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
BEGIN IMMEDIATE serialises claims) and sends outside any transaction. Before each message it
renews the lease on what it still holds and confirms this row is still its own (one commit);
right after the SMTP server accepts the message it marks the row sent (its own commit). A
sender that dies therefore frees its claims within one lease, and the only message that can
arrive twice is the one whose acceptance and commit the crash fell between: it is resent with
the same stored Message-ID, so it is recognisably the same message.
"""
import logging
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_mail import Connection, Message
from sqlalchemy import or_, select, update

from webapp.core import audit
from webapp.core.daily import run_due
from webapp.core.outbox.queue import body
from webapp.extensions import db
from webapp.models.outbox import FAILED, PENDING, SENT, OutboxEmail
from webapp.orm import CST, utcnow

log = logging.getLogger(__name__)


class _TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout (it has none of its own)."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


def _claim(now: datetime, limit: int) -> tuple[str, list[int]]:
    token = uuid.uuid4().hex
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    due = (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == PENDING, OutboxEmail.next_attempt_at <= now,
               or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now))
        .order_by(OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(
            update(OutboxEmail).where(OutboxEmail.id.in_(ids))
            .values(claim_token=token, claimed_until=now + lease)
        )
    db.session.commit()
    return token, ids


def _message(email: OutboxEmail) -> Message:
    text, html = body(email)
    msg = Message(subject=email.subject, recipients=[email.to_addr], body=text, html=html,
                  sender=current_app.config["MAIL_DEFAULT_SENDER"])
    msg.msgId = email.message_id  # the same on every attempt
    return msg


def _renew(email_id: int, token: str, now: datetime) -> bool:
    """Extend the lease on every row this claim still holds; True if `email_id` is one."""
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    db.session.execute(
        update(OutboxEmail).where(OutboxEmail.claim_token == token, OutboxEmail.status == PENDING)
        .values(claimed_until=now + lease)
    )
    held = db.session.scalar(select(OutboxEmail.id).where(
        OutboxEmail.id == email_id, OutboxEmail.claim_token == token,
        OutboxEmail.status == PENDING))
    db.session.commit()
    return held is not None


def _finish(email_id: int, token: str, error: str | None, now: datetime) -> bool:
    """Record one attempt's outcome if our claim still holds; True when recorded."""
    email = db.session.get(OutboxEmail, email_id)
    if email is None or email.claim_token != token or email.status != PENDING:
        db.session.rollback()
        return False
    email.claim_token = None
    email.claimed_until = None
    email.attempts += 1
    if error is None:
        email.status, email.sent_at, email.last_error = SENT, now, None
        email.text_enc = email.html_enc = None  # keys and secrets live on only in the mailbox
        audit.record("email.sent", tenant_id=email.tenant_id, target=email, kind=email.kind)
    else:
        email.last_error = error[:1000]
        if email.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            email.status = FAILED
        else:
            base = current_app.config["OUTBOX_BACKOFF_SECONDS"]
            backoff = min(base * 2 ** (email.attempts - 1), 3600)
            email.next_attempt_at = now + timedelta(seconds=backoff)
        audit.record("email.failed", tenant_id=email.tenant_id, target=email,
                     kind=email.kind, error=email.last_error, attempts=email.attempts)
    db.session.commit()
    return True


def send_due(now: datetime | None = None, limit: int = 50) -> SendReport:
    """Deliver every due email once; failures stay pending with their error and a retry time."""
    report = SendReport()
    if not current_app.config.get("MAIL_SERVER"):
        return report
    now = now or utcnow()
    started = time.monotonic()
    token, ids = _claim(now, limit)
    if not ids:
        return report
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(ids))
                                .order_by(OutboxEmail.id)).all()
    messages = [(e.id, _message(e)) for e in emails]
    db.session.rollback()
    pending = dict(messages)
    try:
        with _TimeoutConnection(current_app.extensions["mail"]) as conn:
            for email_id, message in messages:
                if not _renew(email_id, token, now + timedelta(seconds=time.monotonic() - started)):
                    pending.pop(email_id)  # our lease lapsed and another sender took it
                    continue
                try:
                    conn.send(message)
                except (smtplib.SMTPException, OSError) as exc:
                    report.failed += _finish(email_id, token, _describe(exc), now)
                else:
                    report.sent += _finish(email_id, token, None, now)
                pending.pop(email_id)
    except (smtplib.SMTPException, OSError) as exc:
        for email_id in pending:
            report.failed += _finish(email_id, token, _describe(exc), now)
    # Whatever this run did not finish keeps its lease and is retried once it expires.
    return report


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def work(app: Flask, stop: threading.Event, poll: float | None = None,
         daily: bool = False) -> None:
    """Keep draining the outbox until `stop` is set; with `daily`, also run the daily jobs
    (core/daily.py) at the first check of each day in China Standard Time."""
    poll = app.config["OUTBOX_POLL_SECONDS"] if poll is None else poll
    next_daily = 0.0
    while not stop.is_set():
        with app.app_context():
            if daily and time.monotonic() >= next_daily:
                next_daily = time.monotonic() + app.config["DAILY_JOBS_CHECK_SECONDS"]
                try:
                    run_due(app, utcnow().astimezone(CST).date())
                except Exception:  # e.g. the database is down: try again at the next check
                    log.exception("daily jobs check failed")
                    db.session.rollback()
            try:
                report = send_due()
            except Exception:  # a bad row or a lost database must not kill the sender
                log.exception("outbox sender failed")
                db.session.rollback()
                report = SendReport()
            finally:
                db.session.remove()
        if not report.sent and not report.failed:
            stop.wait(poll)


def register_background_sender(app: Flask) -> None:
    """Start a sender thread in the web process on its first request (OUTBOX_SENDER=thread)."""
    if app.config.get("OUTBOX_SENDER") != "thread" or not app.config.get("MAIL_SERVER"):
        return
    lock = threading.Lock()
    state = {"started": False}

    @app.before_request
    def _start_sender():
        if state["started"]:
            return
        with lock:
            if not state["started"]:
                stop = threading.Event()
                app.extensions["outbox_stop"] = stop
                threading.Thread(target=work, args=(app, stop), name="outbox-sender",
                                 daemon=True).start()
                state["started"] = True
