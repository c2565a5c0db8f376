"""The audit log: every service that changes something records it here (`record`, committed
with the change), and the log pages read it back: tenant-scoped or all (staff), filtered,
newest first, keyset by id."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from webapp.core import keyset, unit_of_work
from webapp.extensions import db
from webapp.models import AuditEntry, User
from webapp.orm import CST

PAGE_SIZE = 50
# Detail keys whose values are never shown, whatever a future caller records.
SECRET_MARKERS = ("secret", "password", "token", "key", "encry")
ACTION_LABELS = {
    "order.created": "创建订单",
    "order.delivered": "订单交付",
    "order.activated": "产品激活",
    "email.queued": "邮件入队",
    "email.sent": "邮件已发送",
    "email.failed": "邮件发送失败",
    "user.created": "创建用户",
    "user.password_changed": "修改密码",
    "user.disabled": "停用用户",
    "reminder.sent": "到期提醒",
    "entitlements.exported": "导出权益",
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "golive.verified": "连接已验证",
    "request.submitted": "提交申请",
    "request.accepted": "对方确认申请",
    "request.refused": "对方拒绝申请",
    "request.approved": "审批通过",
    "request.rejected": "审批驳回",
    "request.paid": "标记已付款",
    "request.executed": "申请已执行",
    "request.failed": "申请执行失败",
    "allocation.replaced": "权益税号变更",
    "user.role_changed": "修改角色",
    "user.enabled": "启用账号",
    "user.password_set": "设置密码",
    "user.password_link_sent": "发送设置密码邮件",
    "auth.password_reset_requested": "申请忘记密码",
    "support.password_reset_sent": "客服发送重设密码邮件",
}


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


def visible_detail(detail: dict | None) -> list[tuple[str, str]]:
    """The detail as (key, value) pairs for display, secret-looking keys masked."""
    pairs = []
    for key, value in sorted((detail or {}).items()):
        if value is None:
            continue
        shown = "******" if any(m in key.lower() for m in SECRET_MARKERS) else str(value)
        pairs.append((key, shown[:300]))
    return pairs


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "")


TARGET_LABELS = {
    "tenant": "租户", "order": "订单", "order_line": "订单行", "enterprise": "企业",
    "allocation": "分配", "allocation_batch": "分配批次", "credential": "授权信息",
    "change_request": "申请", "outbox_email": "邮件", "user": "用户",
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
