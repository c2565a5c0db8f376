"""Delivering queued email, exactly once each.

A sender claims due rows with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
BEGIN IMMEDIATE serialises claims), sends outside any transaction, and marks each row
sent only if its claim still holds.
"""
import logging
import smtplib
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_mail import Connection, Message
from sqlalchemy import or_, select, update

from webapp.core import audit
from webapp.core.outbox.queue import body
from webapp.extensions import db
from webapp.models.outbox import FAILED, PENDING, SENT, OutboxEmail
from webapp.orm import utcnow

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
    domain = current_app.config["PUBLIC_BASE_URL"].split("//")[-1].split("/")[0].split(":")[0]
    # A stable Message-ID lets a mail server recognise a retried delivery.
    msg.msgId = f"<outbox-{email.id}-{email.created_at:%Y%m%d%H%M%S}@{domain or 'localhost'}>"
    return msg


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
            backoff = min(30 * 2 ** (email.attempts - 1), 3600)
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


def work(app: Flask, stop: threading.Event, poll: float | None = None) -> None:
    """Keep draining the outbox until `stop` is set."""
    poll = app.config["OUTBOX_POLL_SECONDS"] if poll is None else poll
    while not stop.is_set():
        with app.app_context():
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
