"""授权信息: client id, client secret and EncryKey, per tenant or per enterprise, and per
environment (测试环境 / 正式环境): each environment has its own set, as the 发票云 API does."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint,
                        select, text)
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
PRODUCTION = "production"
TEST = "test"
ENVIRONMENTS = (TEST, PRODUCTION)  # the order pages and emails show them: test first
ENVIRONMENT_LABELS = {TEST: _l("测试环境"), PRODUCTION: _l("正式环境")}


class Credential(TenantOwned, db.Model):
    __tablename__ = "credential"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'tenant' AND enterprise_id IS NULL)"
            " OR (scope = 'enterprise' AND enterprise_id IS NOT NULL)",
            name="scope_matches",
        ),
        CheckConstraint("status IN ('active', 'disabled')", name="status_known"),
        CheckConstraint("environment IN ('test', 'production')", name="environment_known"),
        UniqueConstraint("enterprise_id", "environment"),  # uq_credential_enterprise_id_environment
        Index(
            "uq_credential_tenant_scope",
            "tenant_id", "environment",
            unique=True,
            sqlite_where=text("enterprise_id IS NULL"),
            postgresql_where=text("enterprise_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    # Which API environment accepts it; the 正式环境 set is the one that existed before there
    # were two (migration 0020).
    environment: Mapped[str] = mapped_column(String(10), default=PRODUCTION,
                                             server_default=PRODUCTION)
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
    def for_enterprise(cls, enterprise_id: int,
                       environment: str = PRODUCTION) -> "Credential | None":
        """The 企业授权 of one enterprise (tax ID) in one environment, if issued."""
        return db.session.scalar(select(cls).where(cls.enterprise_id == enterprise_id,
                                                   cls.environment == environment))

    @classmethod
    def for_tenant(cls, tenant_id: int, environment: str = PRODUCTION) -> "Credential | None":
        """The tenant's own 租户授权 in one environment, if issued."""
        return db.session.scalar(select(cls).where(cls.tenant_id == tenant_id,
                                                   cls.enterprise_id.is_(None),
                                                   cls.environment == environment))

    @classmethod
    def both_for_enterprise(cls, enterprise_id: int) -> dict[str, "Credential"]:
        """The enterprise's 企业授权 by environment (only those issued)."""
        return {c.environment: c for c in db.session.scalars(
            select(cls).where(cls.enterprise_id == enterprise_id))}

    @classmethod
    def both_for_tenant(cls, tenant_id: int) -> dict[str, "Credential"]:
        """The tenant's own 租户授权 by environment (only those issued), in one statement."""
        return {c.environment: c for c in db.session.scalars(
            select(cls).where(cls.tenant_id == tenant_id, cls.enterprise_id.is_(None)))}

    @property
    def is_disabled(self) -> bool:
        return self.status == DISABLED

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def environment_label(self) -> str:
        return str(ENVIRONMENT_LABELS[self.environment])
