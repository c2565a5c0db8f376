"""The audit log: every service that changes something records it here (`record`, committed
with the change), and the log pages read it back: tenant-scoped or all (staff), filtered,
newest first, keyset by id."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from flask_babel import lazy_gettext as _l
from webapp.core import keyset, unit_of_work
from webapp.core.audit_labels import action_label, detail_label, detail_value
from webapp.extensions import db
from webapp.models import AuditEntry, User
from webapp.orm import CST

PAGE_SIZE = 50
# Detail keys whose values are never shown, whatever a future caller records.
SECRET_MARKERS = ("secret", "password", "token", "key", "encry")
__all__ = ["action_label", "entries", "record", "target_label", "visible_detail"]


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class AuditPage:
    rows: list[AuditEntry]
    next_before: int | None


def day_start_utc(day: date) -> datetime:
    """Midnight of a China Standard Time day, in UTC (the page shows CST times)."""
    return datetime.combine(day, time.min, CST).astimezone(timezone.utc)


def entries(tenant_id: int | None, filters: AuditFilters, *, all_tenants: bool = False,
            before: int | None = None, size: int = PAGE_SIZE) -> AuditPage:
    """A page of entries, newest first; `all_tenants` (staff) or only `tenant_id`'s entries."""
    stmt = select(AuditEntry)
    if not all_tenants:
        if tenant_id is None:
            raise ValueError("a tenant-scoped audit query needs a tenant")
        stmt = stmt.where(AuditEntry.tenant_id == tenant_id)
    if filters.actor:
        stmt = stmt.where(func.lower(AuditEntry.actor_label).contains(
            filters.actor.lower(), autoescape=True))
    if filters.action:
        stmt = stmt.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.date_from:
        stmt = stmt.where(AuditEntry.at >= day_start_utc(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEntry.at < day_start_utc(filters.date_to + timedelta(days=1)))
    found = keyset.page(stmt, [AuditEntry.id], lambda e: e.id, after=before, size=size,
                        descending=True, scalars=True)
    return AuditPage(found.rows, found.next_key)


def visible_detail(detail: dict | None, action: str = "",
                   products: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The detail as (label, value) pairs in words for display (audit_labels.py), in the order
    it was recorded; secret-looking keys masked; product codes named (`products`: code → name)."""
    pairs = []
    for key, value in (detail or {}).items():
        if value is None:
            continue
        if key == "product" and products and value in products:
            value = products[value]
        masked = any(m in key.lower() for m in SECRET_MARKERS)
        shown = "******" if masked else detail_value(key, value, action)
        pairs.append((detail_label(key), shown[:300]))
    return pairs


TARGET_LABELS = {
    "tenant": _l("租户"), "order": _l("订单"), "order_line": _l("订单行"), "enterprise": _l("企业"),
    "allocation": _l("分配"), "allocation_batch": _l("分配批次"), "credential": _l("授权信息"),
    "change_request": _l("申请"), "outbox_email": _l("邮件"), "user": _l("用户"),
}


def target_label(target_type: str | None, target_id: int | None) -> str:
    """`订单 #12` for display; '—' when the entry has no target."""
    if not target_type:
        return "—"
    return f"{TARGET_LABELS.get(target_type, target_type)} #{target_id}"


def record(
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    tenant_id: int | None = None,
    target=None,
    ip: str | None = None,
    **detail,
) -> AuditEntry:
    """Add an audit entry to the session (committed with the change it describes)."""
    entry = _entry(action, actor=actor, actor_label=actor_label, tenant_id=tenant_id,
                   target=target, ip=ip, **detail)
    db.session.add(entry)
    return entry


def record_refusal(action: str, **kwargs) -> None:
    """An audit entry of a refusal (a wrong key, a bad token, a failed check): it is kept
    although the refused work is rolled back, as rate limits and the log count it."""
    entry = _entry(action, **kwargs)
    unit_of_work.remember(lambda: db.session.add(entry))


def _entry(
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    tenant_id: int | None = None,
    target=None,
    ip: str | None = None,
    **detail,
) -> AuditEntry:
    # Values are read now: a refusal's entry is added after a rollback has expired them.
    return AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.email if actor is not None else "system"),
        tenant_id=tenant_id,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        detail=detail or None,
        ip=ip,
    )
