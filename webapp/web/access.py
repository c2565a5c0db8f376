"""Who may see what: role checks and tenant scoping, in one place."""
import re
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import NamedTuple

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in
from sqlalchemy import bindparam, select

from webapp.core.ids import parse_id
from webapp.database import read_before_writing
from webapp.extensions import db, login_manager
from webapp.models import Tenant, User
from webapp.models.user import TENANT_ADMIN, Identity
from webapp.web.htmx import hx_redirect, is_htmx

# What User.get_id() writes into the session: "<id>.<session_version>".
SESSION_ID = re.compile(r"([0-9]{1,10})\.([0-9]{1,10})")


class SignedIn(NamedTuple):
    user_id: int
    tenant_id: int | None


class TenantRef(NamedTuple):
    """A tenant's id and name, for a page that shows no more of it."""

    id: int
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class CurrentUser(Identity):
    """The signed-in user as a small value, read with one indexed Core query per request.

    What every request checks or shows (id, tenant, role, active, session version, and the
    layout's email and tenant name) is a field: nothing to build, expire or reload after the
    commit. The ORM entity is loaded only where a view needs it (`entity`, `tenant`), and any
    other attribute (a service given the actor calling `end_sessions()`, say) is the entity's.
    """

    id: int
    tenant_id: int | None
    role: str
    active: bool
    session_version: int
    email: str
    tenant_name: str | None
    locale: str | None  # the language chosen with the top bar's switch (web/i18n.py)
    _entity: User | None = field(default=None, repr=False)

    is_authenticated = True  # Flask-Login
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def entity(self) -> User:
        """The ORM user (and its tenant), loaded on first use in this request."""
        if self._entity is None:
            object.__setattr__(self, "_entity", db.session.get(User, self.id))
        return self._entity

    @property
    def tenant_ref(self) -> TenantRef | None:
        """The tenant's id and name, without loading it."""
        return TenantRef(self.tenant_id, self.tenant_name) if self.tenant_id is not None else None

    @property
    def tenant(self) -> Tenant | None:
        return self.entity.tenant if self.tenant_id is not None else None

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.entity, name)


@cache
def _user_statement():
    # Built once; pure Core on the tables (no ORM entity to build per request).
    user, tenant = User.__table__.c, Tenant.__table__.c
    return (select(user.id, user.tenant_id, user.role, user.active, user.session_version,
                   user.email, tenant.name, user.locale)
            .select_from(User.__table__.outerjoin(Tenant.__table__, tenant.id == user.tenant_id))
            .where(user.id == bindparam("id")))


@login_manager.user_loader
def _load_user(session_id: str) -> CurrentUser | None:
    """The user of a session id "<id>.<session_version>"; None when the version was bumped
    (logout, password change, removal) or the account is disabled."""
    match = SESSION_ID.fullmatch(session_id)
    user_id = parse_id(match.group(1)) if match else None
    if user_id is None:
        return None
    with read_before_writing() as conn:  # on SQLite, not under the write lock
        row = conn.execute(_user_statement(), {"id": user_id}).first()
    if row is None or not row[3] or row[4] != int(match.group(2)):
        return None
    user = CurrentUser(*row)
    g.signed_in = SignedIn(user.id, user.tenant_id)
    return user


@user_logged_in.connect
def _remember_signed_in(_sender, user: User, **_extra) -> None:
    # For the request log, which must not read the user after the boundary's commit.
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
    """The signed-in tenant admin's tenant, the ORM entity (only call behind
    tenant_admin_required; a view that needs only its id reads `current_user.tenant_id`)."""
    return current_user.tenant


def or_404(found):
    """What a scoped loader found, or a 404 (another tenant's object is never a 403)."""
    if found is None:
        abort(404)
    return found

