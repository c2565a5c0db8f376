"""Tenants: the customer organisation that holds orders and enterprises."""
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import ForeignKey, String, bindparam, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.orm import utcnow


class Tenant(db.Model):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # 合并租户: the source stays readable as 已合并至【目标租户】.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    merged_at: Mapped[datetime | None]
    # How many enterprises the tenant holds (企业管理's 共 N 家企业): kept in the transaction
    # that creates, moves or merges enterprises (the functions below), never counted per page.
    enterprise_count: Mapped[int] = mapped_column(default=0, server_default="0")

    merged_into = relationship("Tenant", remote_side=[id])

    @property
    def display_name(self) -> str:
        """The name, with 已合并至【目标租户】 once merged (the source stays readable)."""
        if self.merged_into_id is None:
            return self.name
        return gettext("%(name)s（已合并至【%(target)s】）", name=self.name,
                       target=self.merged_into.name)

    def __repr__(self) -> str:
        return f"<Tenant {self.id} {self.name}>"


# --- the kept enterprise count: one UPDATE each, in the caller's transaction.
# Increments, not recounts: under PostgreSQL's READ COMMITTED a recount's subquery would miss an
# enterprise another transaction added meanwhile; an increment waits for the row lock instead.

def enterprises_added(tenant_id: int, n: int = 1) -> None:
    """`n` enterprises were created in (or moved into) the tenant."""
    if n:
        db.session.execute(update(Tenant).where(Tenant.id == tenant_id)
                           .values(enterprise_count=Tenant.enterprise_count + n)
                           .execution_options(synchronize_session=False))


def enterprises_moved(source_id: int, target_id: int, n: int = 1) -> None:
    """`n` enterprises moved from one tenant to another (企业变更租户)."""
    enterprises_added(source_id, -n)
    enterprises_added(target_id, n)


def enterprises_merged(source_id: int, target_id: int) -> None:
    """Every enterprise of `source_id` moved to `target_id` (合并租户): the target gains the
    source's count, the source keeps none."""
    source = (select(Tenant.enterprise_count).where(Tenant.id == bindparam("source"))
              .scalar_subquery())
    db.session.execute(update(Tenant).where(Tenant.id == target_id)
                       .values(enterprise_count=Tenant.enterprise_count + source)
                       .execution_options(synchronize_session=False), {"source": source_id})
    db.session.execute(update(Tenant).where(Tenant.id == source_id).values(enterprise_count=0)
                       .execution_options(synchronize_session=False))


def recount_enterprises(tenant_ids=None) -> None:
    """Set the kept count to count(*) (all tenants, or those given): for loaders that insert
    enterprises in bulk outside the services (tests, benchmarks) and for the migration's
    backfill's equal."""
    from webapp.models.enterprise import Enterprise

    counted = (select(func.count()).select_from(Enterprise)
               .where(Enterprise.tenant_id == Tenant.id).scalar_subquery())
    stmt = update(Tenant).values(enterprise_count=counted)
    if tenant_ids is not None:
        stmt = stmt.where(Tenant.id.in_(list(tenant_ids)))
    db.session.execute(stmt.execution_options(synchronize_session=False))
