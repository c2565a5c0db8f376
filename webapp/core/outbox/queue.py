"""Queueing email: the row is written in the caller's transaction, encrypted at rest."""
from webapp.core import audit, crypto
from webapp.extensions import db
from webapp.models.outbox import OutboxEmail
from webapp.orm import utcnow


def queue(kind: str, to: str, subject: str, text: str, html: str | None = None, *,
          order_id: int | None = None, tenant_id: int | None = None) -> OutboxEmail:
    """Add an email to the outbox in the caller's transaction."""
    email = OutboxEmail(
        kind=kind, to_addr=to, subject=subject,
        text_enc=crypto.encrypt(text), html_enc=crypto.encrypt(html) if html else None,
        order_id=order_id, tenant_id=tenant_id, next_attempt_at=utcnow(),
    )
    db.session.add(email)
    db.session.flush()
    audit.record("email.queued", tenant_id=tenant_id, target=email, kind=kind, to=to)
    return email


def body(email: OutboxEmail) -> tuple[str | None, str | None]:
    """The decrypted text and HTML parts (None once delivered and cleared)."""
    text = crypto.decrypt(email.text_enc) if email.text_enc else None
    html = crypto.decrypt(email.html_enc) if email.html_enc else None
    return text, html
