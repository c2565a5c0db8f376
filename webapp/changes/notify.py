"""Every step of a request: its event (who, when, comment), the audit entry for each tenant
concerned, and an email (through the outbox) to the requester and the tenants' admins."""
from flask_babel import gettext as _
from flask import current_app, render_template
from sqlalchemy import select

from webapp.changes import waiting
from webapp.core import audit, i18n, outbox
from webapp.extensions import db
from webapp.models import ChangeRequest, RequestEvent, User
from webapp.models.request import EVENT_LABELS
from webapp.models.user import TENANT_ADMIN

KIND = "request"


def tenants_concerned(req: ChangeRequest) -> list[int]:
    ids = [req.tenant_id, req.source_tenant_id, req.target_tenant_id]
    return list(dict.fromkeys(i for i in ids if i is not None))


def recipients(req: ChangeRequest) -> list[str]:
    """The requester and every active admin of the tenants concerned, each address once."""
    found = []
    if req.created_by_id:
        creator = db.session.get(User, req.created_by_id)
        if creator is not None and creator.active:
            found.append(creator.email)
    found += db.session.scalars(select(User.email).where(
        User.tenant_id.in_(tenants_concerned(req)), User.role == TENANT_ADMIN,
        User.active.is_(True)).order_by(User.id))
    seen, unique = set(), []
    for email in found:
        if email.lower() not in seen:
            seen.add(email.lower())
            unique.append(email)
    return unique


def step(req: ChangeRequest, actor: User | None, action: str, comment: str | None, *,
         ip: str | None = None, **detail) -> RequestEvent:
    """Record one lifecycle step of `req` (in the caller's transaction)."""
    event = RequestEvent(request_id=req.id, actor_id=actor.id if actor else None, action=action,
                         comment=comment)
    db.session.add(event)
    db.session.flush()
    for tenant_id in tenants_concerned(req) or [None]:
        audit.record(f"request.{action}", actor=actor, tenant_id=tenant_id, target=req, ip=ip,
                     kind=req.kind, status=req.status, comment=comment, **detail)
    url = f"{current_app.config['PUBLIC_BASE_URL']}/requests/{req.id}"
    for to in recipients(req):
        with i18n.in_language_of(to):  # each recipient reads it in their own language
            label = str(EVENT_LABELS.get(action, action))
            subject = _("【发票云】申请 #%(id)s %(kind)s：%(step)s", id=req.id, kind=req.kind_label,
                        step=label)
            text = render_template("email/request_step.txt", req=req, label=label,
                                   comment=comment, actor=actor, url=url,
                                   next_step=waiting.next_step(req))
            outbox.queue(KIND, to, subject, text, tenant_id=req.tenant_id)
    return event
