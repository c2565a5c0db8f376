"""The one-time link that sets an account's password: a new staff account's first password, and
忘记密码 (asked for on the login page, or sent by support).

An account has at most one live link. Only the link's keyed hash is stored on the user, with the
moment it expires; issuing a link replaces the previous one (a resend voids the older email), and
using it clears it in the same conditional UPDATE that checks it, so two uses of one link set one
password. Setting the password ends every session of the account, and the sign-in failures
counted against it are cleared with it (auth/service.py counts them per password).
"""
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, case, or_, select, update

from flask_babel import lazy_gettext as _l
from webapp.auth.service import validate_password
from webapp.core import audit
from webapp.core.crypto import keyed_hash
from webapp.core.errors import Expired
from webapp.extensions import db
from webapp.models import User
from webapp.orm import UTCDateTime, utcnow

PURPOSE = "password-link"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
INVALID = (_l("此链接已失效：链接只能使用一次，过期后不能使用，并且只有最新一封邮件中的链接有效。"
           "请在登录页点击【忘记密码】重新获取。"))


def url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/password/{token}"


def _new() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, keyed_hash(token, PURPOSE)


def issue(user: User, max_age: int, now: datetime | None = None) -> str:
    """A new link for `user` (the previous one stops working); returns the token."""
    token, digest = _new()
    user.password_link_hash = digest
    user.password_link_expires_at = (now or utcnow()) + timedelta(seconds=max_age)
    db.session.flush()
    return token


def issue_capped(user: User, max_age: int, per_hour: int, now: datetime | None = None) -> str | None:
    """`issue`, unless `per_hour` links were already issued this way in the account's current
    hour (None then): one conditional UPDATE counts and replaces together, so parallel requests
    never send more. (`user` in the session keeps its old values: expire it to read them.)"""
    now = now or utcnow()
    token, digest = _new()
    stamp = bindparam("now", now, type_=UTCDateTime())
    new_hour = or_(User.password_resets_since.is_(None),
                   User.password_resets_since <= now - timedelta(hours=1))
    won = db.session.execute(
        update(User).where(User.id == user.id, or_(new_hour, User.password_resets_sent < per_hour))
        .values(password_link_hash=digest,
                password_link_expires_at=now + timedelta(seconds=max_age),
                password_resets_sent=case((new_hour, 1), else_=User.password_resets_sent + 1),
                password_resets_since=case((new_hour, stamp), else_=User.password_resets_since))
        .execution_options(synchronize_session=False)).rowcount
    return token if won else None


def holder(token: str, now: datetime | None = None) -> User:
    """The account a live link belongs to; Expired when the link is unknown, used, replaced,
    expired, or the account is disabled."""
    user = None
    if isinstance(token, str) and TOKEN.fullmatch(token):
        user = db.session.scalar(select(User).where(
            User.password_link_hash == keyed_hash(token, PURPOSE)))
    if (user is None or not user.active or user.password_link_expires_at is None
            or user.password_link_expires_at <= (now or utcnow())):
        raise Expired(INVALID)
    return user


def use(token: str, password: str, confirm: str, *, ip: str | None = None) -> User:
    """Set the password through a live link: the link is consumed, every session of the account
    ends, and its sign-in failures no longer count (they are counted per password)."""
    user = holder(token)
    validate_password(password, confirm)
    consumed = db.session.execute(
        update(User).where(User.id == user.id,
                           User.password_link_hash == keyed_hash(token, PURPOSE))
        .values(password_link_hash=None, password_link_expires_at=None, password_resets_sent=0,
                password_resets_since=None)
        .execution_options(synchronize_session=False)).rowcount
    if not consumed:  # used a moment ago by a concurrent request
        raise Expired(INVALID)
    db.session.refresh(user)
    user.set_password(password)  # a changed password ends every session (models/user.py)
    audit.record("user.password_set", actor=user, target=user, tenant_id=user.tenant_id, ip=ip,
                 via="link")
    return user
