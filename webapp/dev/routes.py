"""The development mailbox: mail kept in the outbox when no MAIL_SERVER is configured."""
from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from webapp.core import outbox
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.web.access import or_404

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def only_in_development():
    # Never with a mail server configured: the mailbox shows keys and credentials.
    if not current_app.config.get("DEV_MAILBOX") or current_app.config.get("MAIL_SERVER"):
        abort(404)


@bp.get("/mailbox")
def mailbox():
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(200))
    return render_template("dev/mailbox.html", emails=emails)


@bp.get("/mailbox/<int:email_id>")
def email(email_id: int):
    message = or_404(db.session.get(OutboxEmail, email_id))
    text, html = outbox.body(message)
    return render_template("dev/email.html", email=message, text=text, html=html)


@bp.get("/mailbox/<int:email_id>/html")
def email_html(email_id: int):
    """The HTML part alone, for a sandboxed frame; email HTML needs inline styles."""
    message = or_404(db.session.get(OutboxEmail, email_id))
    _, html = outbox.body(message)
    if html is None:
        abort(404)
    return html, 200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "img-src data:; frame-ancestors 'self'",
        "X-Frame-Options": "SAMEORIGIN",
    }
