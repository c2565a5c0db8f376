"""Tenants: the customer organisation that holds orders and enterprises."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
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

    merged_into = relationship("Tenant", remote_side=[id])

    @property
    def display_name(self) -> str:
        """The name, with 已合并至【目标租户】 once merged (the source stays readable)."""
        if self.merged_into_id is None:
            return self.name
        return f"{self.name}（已合并至【{self.merged_into.name}】）"

    def __repr__(self) -> str:
        return f"<Tenant {self.id} {self.name}>"
