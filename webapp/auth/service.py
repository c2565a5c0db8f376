"""Signing in and staff accounts."""
import hashlib
import re
import secrets

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.core import audit
from webapp.core.errors import NotFound, RateLimited, ServiceError
from webapp.core.ratelimit import FailureLimit, Guard, retry_minutes
from webapp.core.text import normalise_email
from webapp.extensions import db
from webapp.models import User
from webapp.models.user import STAFF_ROLES

LETTER = re.compile(r"[^\W\d_]")  # a letter of any script
DIGIT = re.compile(r"[0-9]")


def validate_password(password: str, confirm: str) -> None:
    """The password rule for every account (activation, staff, a changed password)."""
    if len(password or "") < 8 or len(password) > 128:
        raise ServiceError(_("密码长度需为 8–128 位"), field="password")
    if not (LETTER.search(password) and DIGIT.search(password)):
        raise ServiceError(_("密码需同时包含字母和数字"), field="password")
    if password != confirm:
        raise ServiceError(_("两次输入的密码不一致"), field="confirm")


RESET_HINT = _l("如是您本人的账号，可通过【忘记密码】重设密码后立即登录。")


def _password_tag(user: User | None) -> str:
    """Failures are counted against the account *and its current password*: a new password
    (忘记密码, a staff link, the CLI) starts a new count, so the owner is never kept out once
    the password is reset."""
    if user is None:
        return ""
    return ":" + hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _guard(email: str, user: User | None, ip: str) -> Guard:
    cfg = current_app.config
    window = cfg["LOGIN_FAILURE_WINDOW"]
    return Guard(FailureLimit("login", cfg["LOGIN_MAX_FAILURES"], window),
                 FailureLimit("login-account", cfg["LOGIN_ACCOUNT_MAX_FAILURES"], window),
                 target=f"email:{email}{_password_tag(user)}", ip=ip)


def _dummy_hash() -> str:
    """A hash made with the configured method, checked when no account matches, so a wrong
    address costs what a wrong password does (no timing tell of which addresses exist)."""
    cached = current_app.extensions.get("auth_dummy_hash")
    if cached is None:
        cached = generate_password_hash(secrets.token_urlsafe(16),
                                        method=current_app.config["PASSWORD_HASH_METHOD"])
        current_app.extensions["auth_dummy_hash"] = cached
    return cached


def authenticate(email: str, password: str, ip: str) -> User:
    """The user for these credentials; failures are counted per (account, address) and per
    address, with a high per-account ceiling: a stranger cannot lock the owner out, and past
    the ceiling a reset password (忘记密码) lets the owner in at once."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    guard = _guard(email, user, ip)
    refused = guard.refusal()
    if refused:
        audit.record_refusal("auth.login_blocked", actor_label=email[:254], ip=ip)
        hint = "" if refused.address_over and guard.per_address.blocked(f"ip:{ip}") else RESET_HINT
        raise RateLimited(_("登录失败次数过多，请 %(minutes)s 分钟后再试。%(hint)s",
                            minutes=retry_minutes(refused.wait), hint=hint))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
    if user is None or not user.check_password(password) or not user.active:
        guard.fail()
        audit.record_refusal("auth.login_failed", actor_label=email[:254], ip=ip)
        raise ServiceError(_("邮箱或密码错误。"))
    audit.record("auth.login", actor=user, tenant_id=user.tenant_id, ip=ip)
    return user


def create_staff(email: str, role: str, password: str, *, actor_label: str = "cli") -> User:
    """Create a support / approver / ops account."""
    email = normalise_email(email)
    if role not in STAFF_ROLES:
        raise ServiceError(_("角色必须是 %(roles)s 之一", roles=" / ".join(STAFF_ROLES)), field="role")
    validate_password(password, password)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise ServiceError(_("账号 %(email)s 已存在", email=email), field="email")
    user = User(email=email, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor_label=actor_label, target=user, role=role)
    return user


def logout(user: User, ip: str | None = None) -> None:
    """Sign out: every session of the user ends, not only this browser's (a copied cookie too)."""
    user.end_sessions()
    audit.record("auth.logout", actor=user, tenant_id=user.tenant_id, ip=ip)


def change_password(user: User, password: str, confirm: str, *, actor_label: str = "cli") -> None:
    """Set a new password; every existing session of the user ends."""
    validate_password(password, confirm)
    user.set_password(password)
    audit.record("user.password_changed", actor_label=actor_label, target=user,
                 tenant_id=user.tenant_id)


def find_user(email: str) -> User | None:
    """The account signed in with `email` (any role), if any."""
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


def disable_user(email: str, *, actor_label: str = "cli") -> User:
    """Remove an account's access: it can no longer sign in and its sessions end at once."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(_("账号 %(email)s 不存在", email=email), field="email")
    user.active = False
    user.end_sessions()
    audit.record("user.disabled", actor_label=actor_label, target=user, tenant_id=user.tenant_id)
    return user
