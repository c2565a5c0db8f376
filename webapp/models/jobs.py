"""Work that runs on the server itself: the bulk-import previews waiting for 【确认导入】, and
the once-a-day jobs (one row per job and day, so only one worker runs each day's job)."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.orm import utcnow


class ImportPreview(db.Model):
    """Rows of an uploaded CSV, bound to the tenant and user who uploaded them, until expiry."""

    __tablename__ = "import_preview"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    rows_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DailyJobRun(db.Model):
    """A daily job that ran (or is running) for one day; the UNIQUE makes it once per day."""

    __tablename__ = "daily_job_run"
    __table_args__ = (UniqueConstraint("job", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    day: Mapped[date]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[str | None] = mapped_column(Text)
