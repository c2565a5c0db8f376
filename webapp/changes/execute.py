"""Executing an approved request, once, in one transaction.

The claim is a conditional UPDATE of the request's state (已通过 or 执行失败 → 已执行, and for a
paid request only once 已付款): a replayed form, a second approver or a retry that lost the race
updates no row and executes nothing. The work runs in a savepoint after the claim; any failure
rolls the savepoint back (the claim too) and leaves the request 执行失败 with the reason.
"""
from flask_babel import gettext as _
from datetime import date

from sqlalchemy import or_, update
from sqlalchemy.exc import SQLAlchemyError

from webapp.changes import notify, preview, scope
from webapp.core import audit
from webapp.models.business_fields import BUSINESS_FIELDS
from webapp.core.errors import Conflict, ServiceError
from webapp.credentials import emails as authorization
from webapp.credentials import service as credentials
from webapp.enterprises import service as enterprises
from webapp.extensions import db
from webapp.models import Allocation, ChangeRequest, Credential, Enterprise, Tenant, User
from webapp.models.allocation import ACTIVE, REPLACED, enterprise_holds_active
from webapp.models.credential import DISABLED
from webapp.models.request import APPROVED, EXECUTED, FAILED, MERGE, MOVE, TAX_ISSUE, TAX_KINDS
from webapp.models.tenant import enterprises_merged, enterprises_moved
from webapp.orm import utcnow


def executable(req: ChangeRequest) -> bool:
    return req.status in (APPROVED, FAILED) and (not req.is_paid_kind or req.fee_paid_at is not None)


def _claim(req: ChangeRequest) -> bool:
    paid = or_(ChangeRequest.kind != TAX_ISSUE, ChangeRequest.fee_paid_at.is_not(None))
    claimed = db.session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == req.id, ChangeRequest.status.in_((APPROVED, FAILED)), paid)
        .values(status=EXECUTED, executed_at=utcnow(), error=None)
        .execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def run(req: ChangeRequest, actor: User, *, ip: str | None = None) -> bool:
    """Execute `req` if it is due and nobody else did; True when this call executed it.

    Raises nothing for a failure of the work itself: the request is left 执行失败 with the error.
    """
    savepoint = db.session.begin_nested()
    try:
        if not _claim(req):
            savepoint.rollback()
            db.session.refresh(req)
            return False
        current = preview.compute(req)
        if current["problems"]:
            raise Conflict("；".join(current["problems"]))
        apply(req, actor, current)
        db.session.flush()
        savepoint.commit()
    except (ServiceError, SQLAlchemyError) as exc:
        savepoint.rollback()
        message = (exc.message if isinstance(exc, ServiceError)
                   else _("数据库错误：%(name)s", name=type(exc).__name__))
        _fail(req, actor, message, ip)
        return False
    db.session.refresh(req)
    req.preview_at_execution = current
    notify.step(req, actor, "executed", None, ip=ip)
    return True


def _fail(req: ChangeRequest, actor: User, message: str, ip: str | None) -> None:
    # Conditional too: another process may have executed it since our savepoint rolled back.
    failed = db.session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == req.id, ChangeRequest.status.in_((APPROVED, FAILED)))
        .values(status=FAILED, error=message[:2000]).execution_options(synchronize_session=False))
    db.session.refresh(req)
    if failed.rowcount == 1:
        notify.step(req, actor, "failed", req.error, ip=ip)


def apply(req: ChangeRequest, actor: User, current: dict) -> None:
    if req.kind in TAX_KINDS:
        _tax_change(req, actor)
    elif req.kind == MOVE:
        _move(req, actor)
    elif req.kind == MERGE:
        _merge(req, actor)


def _reassign(rows: dict, target_id: int) -> None:
    """Point every row with a tenant column at the target; the others follow their parent."""
    for model, where in rows.values():
        column = scope.TENANT_COLUMN.get(model)
        if column is not None:
            db.session.execute(update(model).where(where).values({column.key: target_id})
                               .execution_options(synchronize_session=False))


def _rename_collisions(source_where, target_id: int) -> None:
    for enterprise_id, name in preview.name_collisions(source_where, target_id):
        db.session.execute(update(Enterprise).where(Enterprise.id == enterprise_id)
                           .values(name=preview.merged_name(name))
                           .execution_options(synchronize_session=False))


def _move(req: ChangeRequest, actor: User) -> None:
    """The enterprise and what is its own change tenant; each side's history records the move
    (the source's ends with 转出至【目标租户】, the target's starts with 从【来源租户】转入)."""
    _rename_collisions(Enterprise.id == req.enterprise_id, req.target_tenant_id)
    _reassign(scope.enterprise_rows(req.enterprise_id, req.source_tenant_id, req.id),
              req.target_tenant_id)
    source = db.session.get(Tenant, req.source_tenant_id)
    target = db.session.get(Tenant, req.target_tenant_id)
    common = dict(actor=actor, target=db.session.get(Enterprise, req.enterprise_id),
                  request_id=req.id, tax_id=req.tax_id)
    # The audit log keeps its summaries in the seed's words (stored, like the names in them).
    moved_out = f"转出至【{target.name}】"  # i18n: data
    moved_in = f"从【{source.name}】转入"  # i18n: data
    audit.record("enterprise.moved_out", tenant_id=source.id, summary=moved_out,
                 **common)
    audit.record("enterprise.moved_in", tenant_id=target.id, summary=moved_in,
                 **common)
    enterprises_moved(req.source_tenant_id, req.target_tenant_id)


def _merge(req: ChangeRequest, actor: User) -> None:
    source_id, target_id = req.source_tenant_id, req.target_tenant_id
    _rename_collisions(Enterprise.tenant_id == source_id, target_id)
    db.session.execute(update(Credential).where(
        Credential.tenant_id == source_id, Credential.enterprise_id.is_(None))
        .values(status=DISABLED, disabled_at=utcnow()).execution_options(synchronize_session=False))
    _reassign(scope.tenant_rows(source_id, None), target_id)  # the merge request too
    enterprises_merged(source_id, target_id)
    db.session.execute(update(Tenant).where(Tenant.id == source_id)
                       .values(merged_into_id=target_id, merged_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.expire_all()


def _tax_change(req: ChangeRequest, actor: User) -> None:
    old_alloc = db.session.get(Allocation, req.allocation_id)
    old = old_alloc.enterprise
    tenant = db.session.get(Tenant, old.tenant_id)
    new = enterprises.find_holder(req.new_tax_id)
    if new is None:
        info = {f.name: (req.new_info or {}).get(f.name) for f in BUSINESS_FIELDS}
        new = enterprises.add(tenant, {"name": req.new_name, "tax_id": req.new_tax_id, **info},
                              actor=actor, via="request")
    line = old_alloc.line
    valid_from = valid_until = None
    if req.restart_validity:  # the same length of validity, counted from today
        valid_from = date.today()
        if line.valid_until is not None:
            span = line.valid_until - (line.valid_from or old_alloc.allocated_at.date())
            valid_until = valid_from + span
    new_alloc = Allocation(line_id=line.id, enterprise_id=new.id, allocated_by_id=actor.id,
                           batch_id=None, status=ACTIVE, valid_from=valid_from,
                           valid_until=valid_until)
    db.session.add(new_alloc)
    db.session.flush()
    old_alloc.status = REPLACED
    old_alloc.replaced_by_id = new_alloc.id
    db.session.flush()
    # The old tax ID keeps its credential while it holds anything else (开票 after a 收票 change).
    disabled = 0
    if not enterprise_holds_active(old.id):
        disabled = db.session.execute(
            update(Credential).where(Credential.enterprise_id == old.id,
                                     Credential.status != DISABLED)
            .values(status=DISABLED, disabled_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
    req.new_enterprise_id = new.id
    creds = credentials.ensure_usable_enterprise_credentials(new, actor=actor)
    authorization.queue_tax_change_email(creds, old.tax_id, actor=actor,
                                         old_disabled=bool(disabled))
    audit.record("allocation.replaced", actor=actor, tenant_id=tenant.id, target=old_alloc,
                 request_id=req.id, line_id=line.id, old_tax_id=old.tax_id, new_tax_id=new.tax_id,
                 replaced_by=new_alloc.id, credentials_disabled=disabled,
                 validity_restarted=bool(valid_from))
