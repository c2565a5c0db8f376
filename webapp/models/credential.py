"""授权信息: client id, client secret and EncryKey, per tenant or per enterprise."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.scoping import TenantOwned
from webapp.orm import utcnow

SCOPE_TENANT = "tenant"
SCOPE_ENTERPRISE = "enterprise"
SCOPE_LABELS = {SCOPE_TENANT: _l("租户授权"), SCOPE_ENTERPRISE: _l("企业授权")}
ACTIVE = "active"
DISABLED = "disabled"
STATUS_LABELS = {ACTIVE: _l("有效"), DISABLED: _l("已停用")}
MASK = "••••••••••••"  # a secret until 显示


class Credential(TenantOwned, db.Model):
    __tablename__ = "credential"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'tenant' AND enterprise_id IS NULL)"
            " OR (scope = 'enterprise' AND enterprise_id IS NOT NULL)",
            name="scope_matches",
        ),
        CheckConstraint("status IN ('active', 'disabled')", name="status_known"),
        Index(
            "uq_credential_tenant_scope",
            "tenant_id",
            unique=True,
            sqlite_where=text("enterprise_id IS NULL"),
            postgresql_where=text("enterprise_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # Fernet tokens (DATA_ENCRYPTION_KEY); never stored or logged in clear.
    client_secret_enc: Mapped[str] = mapped_column(Text)
    encry_key_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    # The client secret before the last 重置密钥 (Fernet): kept only so the connection check can
    # tell "secret reset at …" from a wrong sign; a sign cannot be checked against a hash.
    previous_secret_enc: Mapped[str | None] = mapped_column(Text)
    # 已停用 after a tax ID change: kept, never deleted (history stays with the old tax ID), and
    # refused by the connection check.
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE, server_default=ACTIVE)
    disabled_at: Mapped[datetime | None]

    @classmethod
    def for_enterprise(cls, enterprise_id: int) -> "Credential | None":
        """The 企业授权 of one enterprise (tax ID), if issued."""
        return db.session.scalar(select(cls).where(cls.enterprise_id == enterprise_id))

    @classmethod
    def for_tenant(cls, tenant_id: int) -> "Credential | None":
        """The tenant's own 租户授权, if issued."""
        return db.session.scalar(select(cls).where(cls.tenant_id == tenant_id,
                                                   cls.enterprise_id.is_(None)))

    @property
    def is_disabled(self) -> bool:
        return self.status == DISABLED

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])
