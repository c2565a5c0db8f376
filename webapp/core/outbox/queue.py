"""Queueing email: the row is written in the caller's transaction, encrypted at rest."""
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from webapp.core import audit, crypto
from webapp.extensions import db
from webapp.models.outbox import FAILED, PENDING, OutboxEmail
from webapp.orm import utcnow


def queue(kind: str, to: str, subject: str, text: str, html: str | None = None, *,
          order_id: int | None = None, tenant_id: int | None = None) -> OutboxEmail:
    """Add an email to the outbox in the caller's transaction."""
    email = OutboxEmail(
        message_id=make_msgid("outbox", domain=_domain()), kind=kind, to_addr=to,
        subject=str(subject),
        text_enc=crypto.encrypt(text), html_enc=crypto.encrypt(html) if html else None,
        order_id=order_id, tenant_id=tenant_id, next_attempt_at=utcnow(),
    )
    db.session.add(email)
    db.session.flush()
    audit.record("email.queued", tenant_id=tenant_id, target=email, kind=kind, to=to)
    return email


def _domain() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def body(email: OutboxEmail) -> tuple[str | None, str | None]:
    """The decrypted text and HTML parts (None once delivered and cleared)."""
    text = crypto.decrypt(email.text_enc) if email.text_enc else None
    html = crypto.decrypt(email.html_enc) if email.html_enc else None
    return text, html


@dataclass
class Backlog:
    pending: int
    failed: int
    oldest_pending_age: float | None  # seconds since the oldest pending email was queued


def backlog(now: datetime | None = None) -> Backlog:
    """How far behind delivery is (for `outbox status` and readiness checks)."""
    now = now or utcnow()
    counts = dict(tuple(row) for row in db.session.execute(
        select(OutboxEmail.status, func.count()).where(OutboxEmail.status.in_([PENDING, FAILED]))
        .group_by(OutboxEmail.status)))
    oldest = db.session.scalar(select(func.min(OutboxEmail.created_at))
                               .where(OutboxEmail.status == PENDING))
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return Backlog(counts.get(PENDING, 0), counts.get(FAILED, 0),
                   None if oldest is None else max(0.0, (now - oldest).total_seconds()))
