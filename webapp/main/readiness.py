"""/readyz: may this instance take traffic? The database answers and its schema is at the
migrations' head; the outbox backlog and the age of its oldest pending mail are reported."""
from datetime import datetime, timezone

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from webapp.config import ROOT
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.models.outbox import PENDING


def _heads() -> set[str]:
    cache = current_app.extensions.setdefault("migration_heads", {})
    if "heads" not in cache:  # the scripts only change with a deploy
        cache["heads"] = set(ScriptDirectory(str(ROOT / "migrations")).get_heads())
    return cache["heads"]


def _age_seconds(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0, int((datetime.now(timezone.utc) - moment).total_seconds()))


def check() -> tuple[bool, dict]:
    """(ready, report). Not ready: the database is unreachable or not at the migrations' head.
    The outbox is reported, not judged: a slow mail server must not take every web instance
    out of the load balancer (alert on `oldest_pending_seconds` instead)."""
    try:
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
        backlog, oldest = db.session.execute(
            select(func.count(), func.min(OutboxEmail.created_at))
            .where(OutboxEmail.status == PENDING)).one()
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("readyz: database unreachable: %s", type(exc).__name__)
        return False, {"ready": False, "database": "unreachable"}
    finally:
        db.session.rollback()  # end the read transaction (SQLite holds a write lock in it)
    heads = _heads()
    at_head = current == heads
    report = {
        "ready": at_head,
        "database": "ok",
        "migrations": {"current": sorted(current), "head": sorted(heads), "at_head": at_head},
        "outbox": {"pending": backlog, "oldest_pending_seconds": _age_seconds(oldest)},
    }
    return at_head, report
