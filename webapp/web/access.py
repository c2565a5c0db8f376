"""Who may see what: role checks and tenant scoping, in one place."""
from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from webapp.extensions import db, login_manager
from webapp.models import Tenant, User
from webapp.models.user import TENANT_ADMIN
from webapp.web.htmx import hx_redirect, is_htmx


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None  # a disabled account's sessions end


@login_manager.unauthorized_handler
def _unauthorized():
    flash("请先登录。", "info")
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


def get_for_tenant(model, object_id: int, tenant_id: int | None = None):
    """Load `model` by id within the current tenant; anything else is a 404, never a 403."""
    tenant_id = tenant_id if tenant_id is not None else current_tenant().id
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "tenant_id", None) != tenant_id:
        abort(404)
    return obj
