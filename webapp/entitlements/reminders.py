"""Expiry reminders: email tenant admins once per order line and threshold.

A line is due when it has something allocated and its 有效期 ends within the largest threshold
(30 days) but has not passed. Its threshold is the smallest one it is inside (30, then 7): a
line found 5 days before its end gets the 7-day reminder only. What went out is recorded in
`reminder_sent` (UNIQUE line × threshold), so a rerun sends nothing twice and a concurrent
second run is refused on the constraint (its emails roll back with it) instead of emailing again.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select, tuple_

from webapp.core import audit, outbox
from webapp.core.errors import Conflict
from webapp.core.i18n import in_language_of
from webapp.core.unit_of_work import add_unique
from webapp.entitlements.service import today
from webapp.extensions import db
from webapp.models import Order, OrderLine, Product, ReminderSent, Tenant, User
from webapp.models.user import TENANT_ADMIN

THRESHOLDS = (30, 7)


@dataclass
class DueLine:
    line_id: int
    tenant_id: int
    order_no: str
    product: str
    allocated: int
    quantity: int
    valid_until: date
    days_left: int
    threshold: int


@dataclass
class ReminderReport:
    emails: int = 0
    lines: int = 0
    tenants_without_admin: list[str] = field(default_factory=list)


def threshold_for(days_left: int, thresholds=THRESHOLDS) -> int | None:
    """The smallest threshold `days_left` is within, or None when not due (or expired)."""
    inside = [t for t in thresholds if 0 <= days_left <= t]
    return min(inside) if inside else None


def due_lines(on: date, thresholds=THRESHOLDS) -> list[DueLine]:
    """Lines due a reminder they have not had yet (two statements, whatever the count)."""
    horizon = on + timedelta(days=max(thresholds))
    rows = db.session.execute(
        select(OrderLine.id, Order.tenant_id, Order.order_no, Product.name,
               OrderLine.allocated, OrderLine.quantity, OrderLine.valid_until)
        .join(Order, OrderLine.order_id == Order.id)
        .join(Product, OrderLine.product_id == Product.id)
        .where(Order.tenant_id.is_not(None), OrderLine.allocated > 0,
               OrderLine.valid_until >= on, OrderLine.valid_until <= horizon)
        .order_by(Order.tenant_id, Order.id, Product.sort)
    ).all()
    candidates = []
    for row in rows:
        days_left = (row.valid_until - on).days
        candidates.append(DueLine(*row, days_left=days_left,
                                  threshold=threshold_for(days_left, thresholds)))
    if not candidates:
        return []
    sent = set(tuple(r) for r in db.session.execute(
        select(ReminderSent.line_id, ReminderSent.threshold)
        .where(tuple_(ReminderSent.line_id, ReminderSent.threshold)
               .in_([(c.line_id, c.threshold) for c in candidates]))
    ))
    return [c for c in candidates if (c.line_id, c.threshold) not in sent]


def send(on: date | None = None, thresholds=THRESHOLDS) -> ReminderReport:
    """Queue one reminder per tenant admin listing the tenant's due lines, and record them."""
    on = on or today()
    report = ReminderReport()
    by_tenant: dict[int, list[DueLine]] = defaultdict(list)
    for line in due_lines(on, thresholds):
        by_tenant[line.tenant_id].append(line)
    if not by_tenant:
        return report
    admins: dict[int, list[str]] = defaultdict(list)
    for tenant_id, email in db.session.execute(
            select(User.tenant_id, User.email)
            .where(User.role == TENANT_ADMIN, User.active.is_(True),
                   User.tenant_id.in_(list(by_tenant))).order_by(User.id)):
        admins[tenant_id].append(email)
    names = dict(tuple(r) for r in db.session.execute(
        select(Tenant.id, Tenant.name).where(Tenant.id.in_(list(by_tenant)))))
    url = f"{current_app.config['PUBLIC_BASE_URL']}/entitlements/"
    recorded: list[ReminderSent] = []
    for tenant_id, lines in by_tenant.items():
        if not admins[tenant_id]:
            # Nothing is recorded, so the reminder goes out once the tenant has an admin again.
            report.tenants_without_admin.append(names[tenant_id])
            continue
        ctx = {"tenant_name": names[tenant_id], "lines": lines, "url": url}
        first = None
        for email in admins[tenant_id]:
            with in_language_of(email):  # each admin reads it in their language
                subject = _("【发票云】权益即将到期提醒（%(tenant)s）", tenant=names[tenant_id])
                text = render_template("email/reminder.txt", **ctx)
                html = render_template("email/reminder.html", **ctx)
            queued = outbox.queue("reminder", email, subject, text, html, tenant_id=tenant_id)
            first = first or queued
            report.emails += 1
        recorded += [ReminderSent(line_id=line.line_id, threshold=line.threshold,
                                  tenant_id=tenant_id, outbox_email_id=first.id)
                     for line in lines]
        report.lines += len(lines)
        audit.record("reminder.sent", actor_label="reminders", tenant_id=tenant_id,
                     lines=len(lines), recipients=len(admins[tenant_id]),
                     orders=sorted({line.order_no for line in lines}))
    if not add_unique(*recorded):
        raise Conflict(_("另一次提醒任务已先记录了这些订单行：本次未发送任何提醒。"))
    return report


def daily() -> str:
    """Today's reminders, as the outbox worker's daily job runs them (flushes; caller commits)."""
    report = send()
    return f"{report.emails} email(s) for {report.lines} line(s)"
