"""Users: tenant admins (customers) and staff (support, approver, ops)."""
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.orm import utcnow

TENANT_ADMIN = "tenant_admin"
SUPPORT = "support"
APPROVER = "approver"
OPS = "ops"
STAFF_ROLES = (SUPPORT, APPROVER, OPS)
ROLES = (TENANT_ADMIN, *STAFF_ROLES)
ROLE_LABELS = {TENANT_ADMIN: _l("租户管理员"), SUPPORT: _l("客服"), APPROVER: _l("审批人"),
               OPS: _l("运营")}


class Identity:
    """What the session cookie holds and the layout shows of a user, from its `id`,
    `session_version` and `role`: shared by the ORM user and the signed-in value
    (web/access.CurrentUser)."""

    __slots__ = ()

    def get_id(self) -> str:  # Flask-Login: what the session cookie holds
        return f"{self.id}.{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[self.role])


class User(Identity, UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(
            "role IN ('tenant_admin', 'support', 'approver', 'ops')", name="role_known"
        ),
        CheckConstraint(
            "(role = 'tenant_admin') = (tenant_id IS NOT NULL)", name="admin_has_tenant"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # In the session cookie beside the id; bumping it ends every session signed with the old one.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The account's one live password link (auth/links.py): only its keyed hash, and when it
    # expires; a newer link replaces it, using it clears it.
    password_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_link_expires_at: Mapped[datetime | None]
    # 忘记密码 emails sent in the hour that began at password_resets_since (a per-account cap).
    password_resets_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    password_resets_since: Mapped[datetime | None]
    # The language the user chose with the top bar's switch ("zh_CN", "en"); None: never chose
    # (pages follow the browser, emails go out in zh_CN).
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tenant = relationship("Tenant", lazy="joined")  # every request reads both, in one query

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def end_sessions(self) -> None:
        """Invalidate every session of this user (each browser, each captured cookie)."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def tenant_name(self) -> str | None:  # as on web/access.CurrentUser, what the layout shows
        return self.tenant.name if self.tenant is not None else None

    def set_password(self, password: str) -> None:
        """Set the password; a change (not the first one) ends every session, and a password
        link still outstanding stops working (it was for the password replaced)."""
        if self.password_hash:
            self.end_sessions()
        self.password_link_hash = self.password_link_expires_at = None
        # Tests set a cheap method: scrypt costs ~110 ms a hash, half of the suite's time.
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
