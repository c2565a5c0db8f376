"""Reading what a user reads: links and keys out of emails, counts out of the database."""
import re

from sqlalchemy import func, select

from webapp.extensions import db

KEY_RE = re.compile(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})\b")
LINK_RE = re.compile(r"https?://[^/\s]+(/activate/[A-Za-z0-9._-]+)")


def link_and_key(text: str) -> tuple[str, str]:
    """The activation path and the 操作密钥 in an activation email's text."""
    return LINK_RE.search(text).group(1), KEY_RE.search(text).group(1)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def outbox_text(app, kind="activation", index=-1) -> str:
    """The decrypted text part of a queued email (what the development mailbox shows)."""
    from webapp.core import outbox
    from webapp.models import OutboxEmail

    with app.app_context():
        emails = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)).all()
        return outbox.body(emails[index])[0]


def allocate(app, admin, make_batch, count=2) -> list[int]:
    """A committed batch (`make_batch`) with its authorization email queued, as the allocation
    feature does; returns the batch's enterprise ids."""
    from webapp.credentials import emails as authorization
    from webapp.models import AllocationBatch, Order

    batch_id, enterprise_ids = make_batch(admin, count=count)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        authorization.queue_authorization_email(order, db.session.get(AllocationBatch, batch_id))
        db.session.commit()
    return enterprise_ids
