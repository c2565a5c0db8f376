"""Staff accounts managed by ops on a page: create, change role, disable. The person sets the
password through a one-time link emailed via the outbox (auth/links.py): it stops working once
used, once a newer link is sent (a resend), and after PASSWORD_LINK_MAX_AGE seconds."""
import secrets

from flask import current_app, render_template
from sqlalchemy import select

from flask_babel import gettext as _
from webapp.auth import links
from webapp.core import audit, i18n, outbox
from webapp.core.errors import Conflict, ServiceError
from webapp.core.text import normalise_email
from webapp.core.unit_of_work import add_unique
from webapp.extensions import db
from webapp.models import User
from webapp.models.user import OPS, ROLE_LABELS, STAFF_ROLES

KIND = "staff_password"


def staff_accounts() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES))
                                   .order_by(User.role, User.email)))


def queue_password_email(user: User, actor: User) -> None:
    """Email a new link to set the password; an earlier link stops working."""
    max_age = current_app.config["PASSWORD_LINK_MAX_AGE"]
    link = links.url(links.issue(user, max_age))
    with i18n.in_locale(user.locale):
        text = render_template("email/staff_password.txt", user=user, link=link,
                               role=ROLE_LABELS[user.role], days=max_age // 86400)
        outbox.queue(KIND, user.email, _("【发票云激活中心】请设置您的登录密码"), text)
    audit.record("user.password_link_sent", actor=actor, target=user)


def create(email: str, role: str, *, actor: User) -> User:
    """A staff account without a usable password; the person sets one from the emailed link."""
    email = normalise_email(email)
    if role not in STAFF_ROLES:
        raise ServiceError(_("请选择角色"), field="role")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(_("账号 %(email)s 已存在", email=email), field="email")
    user = User(email=email, role=role)
    user.set_password(secrets.token_urlsafe(32))  # unusable until the person sets one
    if not add_unique(user):  # created meanwhile by another ops user
        raise Conflict(_("账号 %(email)s 已存在", email=email), field="email")
    audit.record("user.created", actor=actor, target=user, role=role, via="page")
    queue_password_email(user, actor)
    return user


def load_staff(user_id: int) -> User | None:
    """A staff account by id; None for anyone else (a tenant admin is not ops' to manage)."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.role in STAFF_ROLES else None


def change_role(user: User, role: str, *, actor: User) -> None:
    if role not in STAFF_ROLES:
        raise ServiceError(_("请选择角色"), field="role")
    if user.id == actor.id and role != OPS:
        raise Conflict(_("不能修改自己的运营角色（避免无人管理账号）"), field="role")
    old, user.role = user.role, role
    audit.record("user.role_changed", actor=actor, target=user, old=old, new=role)


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Disable (sessions end at once: the user loader refuses inactive users, and the session
    version moves on, so enabling again does not bring old sessions back) or enable."""
    if user.id == actor.id and not active:
        raise Conflict(_("不能停用自己的账号"))
    user.active = active
    if not active:
        user.end_sessions()
    audit.record("user.enabled" if active else "user.disabled", actor=actor, target=user)
