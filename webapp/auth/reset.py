"""忘记密码: anyone who signs in (tenant admins and staff) asks for a one-time link on the login
page, or support sends one from an order's page. Nobody but the account's mailbox ever sees
the link; nobody at all sees or sets the password for someone else.

The answer is the same whether or not the address has an account, and so is the request's work:
it only counts the request against the client address (`count_request`); whether the address
has an account, and the email if it has, are worked out after the answer has been sent
(`send_if_account`, run through web/boundary.after_answer), so the answer's time tells nothing
either. Limits that never lock the owner out: requests per client address (atomic), and at most
PASSWORD_RESET_EMAILS_PER_HOUR emails per account and hour — past that the page answers as
always and no email is sent, while the newest email of that hour still holds a live link (a
stranger asking for resets cannot flood the mailbox, nor leave the owner without a link).
"""
from flask import current_app, render_template
from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.auth import links
from webapp.core import audit, i18n, outbox
from webapp.core.errors import Conflict, RateLimited
from webapp.core.ratelimit import FailureLimit, retry_minutes
from webapp.extensions import db
from webapp.models import User
from webapp.models.user import ROLE_LABELS

KIND = "password_reset"
SUBJECT = _l("【发票云激活中心】重设登录密码")
REQUESTED = "auth.password_reset_requested"


def _minutes() -> int:
    return current_app.config["PASSWORD_RESET_MAX_AGE"] // 60


def _queue_email(user: User, email: str, token: str, *, by_support: bool) -> None:
    """The reset email, in the account's language."""
    with i18n.in_locale(user.locale):
        text = render_template("email/password_reset.txt", email=email, link=links.url(token),
                               minutes=_minutes(), by_support=by_support,
                               role=ROLE_LABELS[user.role])
        outbox.queue(KIND, user.email, str(SUBJECT), text, tenant_id=user.tenant_id)


def count_request(ip: str | None) -> None:
    """Count a 忘记密码 request against the client address; RateLimited past the limit
    (whatever address was typed, so this tells nothing about accounts)."""
    cfg = current_app.config
    limit = FailureLimit("password-reset", cfg["PASSWORD_RESET_ADDRESS_LIMIT"],
                         cfg["PASSWORD_RESET_ADDRESS_WINDOW"])
    if wait := limit.take(f"ip:{ip}"):
        raise RateLimited(_("请求过于频繁，请 %(retry_minutes)s 分钟后再试。",
                            retry_minutes=retry_minutes(wait)), field="email")


def send_if_account(email: str, *, ip: str | None) -> str:
    """Email a reset link to `email` if an active account signs in with it, within the
    account's hourly cap; audited either way. Returns the outcome."""
    email = (email or "").strip().lower()[:254]
    user = db.session.scalar(select(User).where(User.email == email))
    outcome = "no_account" if user is None else "inactive" if not user.active else "sent"
    if outcome == "sent":
        cfg = current_app.config
        token = links.issue_capped(user, cfg["PASSWORD_RESET_MAX_AGE"],
                                   cfg["PASSWORD_RESET_EMAILS_PER_HOUR"])
        if token is None:
            outcome = "hourly_limit"  # the newest email of this hour still holds a live link
        else:
            outcome = "sent"
            _queue_email(user, email, token, by_support=False)
    audit.record(REQUESTED, actor_label=email, target=user,
                 tenant_id=user.tenant_id if user else None, ip=ip, outcome=outcome)
    return outcome


def send_link(user: User, *, actor: User, ip: str | None = None) -> None:
    """Support sends a reset link to the account's own address (never shows or sets the
    password); not capped like the page's requests, so strangers cannot stop it."""
    if not user.active:
        raise Conflict(_("账号 %(email)s 已停用，不能发送重设密码邮件。", email=user.email))
    token = links.issue(user, current_app.config["PASSWORD_RESET_MAX_AGE"])
    _queue_email(user, user.email, token, by_support=True)
    audit.record("support.password_reset_sent", actor=actor, target=user,
                 tenant_id=user.tenant_id, ip=ip, to=user.email)
