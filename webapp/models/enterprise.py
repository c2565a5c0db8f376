"""Enterprises (one tax ID, bound to exactly one tenant) and the 工商 registry."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.business_fields import FIELD
from webapp.extensions import db
from webapp.models.scoping import TenantOwned
from webapp.orm import utcnow

SOURCE_REGISTRY = "registry"
SOURCE_MANUAL = "manual"
SOURCE_LABELS = {SOURCE_REGISTRY: _l("工商自动获取"), SOURCE_MANUAL: _l("手动填写")}


def business_column(name: str, **kwargs):
    """The column of a 工商 field, sized by the field list: String(max_length), TEXT if multiline."""
    field = FIELD[name]
    return mapped_column(Text if field.multiline else String(field.max_length), **kwargs)


class BusinessInfo:
    """The 工商信息 columns shared by enterprises and registry companies."""

    legal_rep: Mapped[str | None] = business_column("legal_rep")
    registered_capital: Mapped[str | None] = business_column("registered_capital")
    established_on: Mapped[str | None] = business_column("established_on")
    reg_status: Mapped[str | None] = business_column("reg_status")
    company_type: Mapped[str | None] = business_column("company_type")
    address: Mapped[str | None] = business_column("address")
    authority: Mapped[str | None] = business_column("authority")
    business_scope: Mapped[str | None] = business_column("business_scope")


class Enterprise(TenantOwned, BusinessInfo, db.Model):
    __tablename__ = "enterprise"
    __table_args__ = (
        Index("ix_enterprise_tenant_name", "tenant_id", "name"),
        # The keyset-paginated list: WHERE tenant_id = ? AND id < ? ORDER BY id DESC (0002).
        Index("ix_enterprise_tenant_id_id", "tenant_id", "id"),
        CheckConstraint("source IN ('registry', 'manual')", name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    tax_id: Mapped[str] = business_column("tax_id", unique=True)
    name: Mapped[str] = business_column("name")
    source: Mapped[str] = mapped_column(String(10), default=SOURCE_MANUAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    tenant = relationship("Tenant")

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS.get(self.source, self.source))

    @classmethod
    def name_key(cls, ident: int, tenant_id: int) -> tuple:
        """The (name, id) keyset key of this tenant's enterprise `ident`, read inside the page's
        own statement; another tenant's id matches nothing, so it can neither leak nor position."""
        name = select(cls.name).where(cls.id == ident, cls.tenant_id == tenant_id)
        return name.scalar_subquery(), ident


class RegistryCompany(BusinessInfo, db.Model):
    """A registered company in the local 工商 registry (filled by `registry import`)."""

    __tablename__ = "registry_company"

    id: Mapped[int] = mapped_column(primary_key=True)
    tax_id: Mapped[str] = business_column("tax_id", unique=True)
    name: Mapped[str] = business_column("name", index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Search indexes of migration 0003 on PostgreSQL (SQLite uses the FTS5 table
# registry_company_fts instead, which the migration creates with its triggers).
Index("ix_registry_company_name_trgm", RegistryCompany.name, postgresql_using="gin",
      postgresql_ops={"name": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
Index("ix_registry_company_name_c", RegistryCompany.name.collate("C")).ddl_if(dialect="postgresql")
# The 企业名称 or 税号 search on PostgreSQL (migration 0008; webapp/enterprises/search.py).
Index("ix_enterprise_name_trgm", Enterprise.name, postgresql_using="gin",
      postgresql_ops={"name": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
Index("ix_enterprise_tax_id_pattern", Enterprise.tax_id,
      postgresql_ops={"tax_id": "varchar_pattern_ops"}).ddl_if(dialect="postgresql")
