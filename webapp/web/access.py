"""Who may see what: role checks and tenant scoping, in one place."""
import re
from functools import wraps
from typing import NamedTuple

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in

from webapp.core.ids import parse_id
from webapp.extensions import db, login_manager
from webapp.models import Tenant, User
from webapp.models.user import TENANT_ADMIN
from webapp.web.htmx import hx_redirect, is_htmx

# What User.get_id() writes into the session: "<id>.<session_version>".
SESSION_ID = re.compile(r"([0-9]{1,10})\.([0-9]{1,10})")


class SignedIn(NamedTuple):
    user_id: int
    tenant_id: int | None


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a session id "<id>.<session_version>"; None when the version was bumped
    (logout, password change, removal) or the account is disabled."""
    match = SESSION_ID.fullmatch(session_id)
    user_id = parse_id(match.group(1)) if match else None
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != int(match.group(2)):
        return None
    _remember_signed_in(None, user)
    return user


@user_logged_in.connect
def _remember_signed_in(_sender, user: User, **_extra) -> None:
    # For the request log, which runs after the boundary's commit has expired the user.
    g.signed_in = SignedIn(user.id, user.tenant_id)


@login_manager.unauthorized_handler
def _unauthorized():
    flash(_("请先登录。"), "info")
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if is_htmx():
        return hx_redirect(target)
    return redirect(target)


def roles_required(*roles: str):
    """Require a signed-in user holding one of `roles`; others get 403 (staff pages)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


tenant_admin_required = roles_required(TENANT_ADMIN)


def current_tenant() -> Tenant:
    """The signed-in tenant admin's tenant (only call behind tenant_admin_required)."""
    return current_user.tenant


def or_404(found):
    """What a scoped loader found, or a 404 (another tenant's object is never a 403)."""
    if found is None:
        abort(404)
    return found

