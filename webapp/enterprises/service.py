"""新增企业: check what the user typed, bind the tax ID to exactly one tenant, list a tenant's
enterprises with keyset pagination.

A tax ID belongs to one tenant: the UNIQUE(enterprise.tax_id) constraint decides, the check
before the insert only produces the friendlier message first. Two concurrent adds both pass
the check on PostgreSQL; the loser's INSERT hits the constraint and gets the same message.
"""
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from webapp.core import audit, business_fields, keyset, taxid
from webapp.models.business_fields import BUSINESS_FIELDS
from webapp.core.errors import Conflict, Invalid, RateLimited
from webapp.core.i18n import N_
from webapp.core.ratelimit import FailureLimit, retry_minutes
from webapp.core.unit_of_work import add_unique
from webapp.enterprises import search
from webapp.extensions import db
from webapp.models import Enterprise, Tenant, User
from webapp.models.enterprise import SOURCE_LABELS, SOURCE_MANUAL, SOURCE_REGISTRY
from webapp.models.tenant import enterprises_added
from webapp.registry import service as registry

CROSS_TENANT = N_("企业【%(tax_id)s】在租户【%(holder)s】下已有数据，一个企业只能绑定一个租户!"
                   "如你确认一定要将该企业绑定在新租户【%(target)s】下，请点击【联系售后】操作。")
PAGE_SIZE = 50
PROBED_TOO_OFTEN = N_("1 小时内查询其他租户已绑定的企业税号次数过多（最多 %(limit)s 个），暂不显示企业所属租户，"
                       "请 %(minutes)s 分钟后再试；如需将企业变更到本租户，请联系售后。")


class InvalidEnterprise(Invalid):
    """Refused input; `errors` maps each bad field to its message (the first is `message`)."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field, errors=errors)


class TaxIdTaken(Conflict):
    """The tax ID is already bound: to another tenant (`other_tenant`) or to this one."""

    def __init__(self, holder: Enterprise, tenant: Tenant):
        self.tax_id = holder.tax_id
        self.enterprise_id = holder.id
        self.other_tenant = holder.tenant_id != tenant.id
        if self.other_tenant:
            message = cross_tenant_message(holder.tax_id, holder.tenant.name, tenant.name)
        else:
            message = _("企业【%(tax_id)s】（%(name)s）已在本租户下，无需重复新增。",
                        tax_id=holder.tax_id, name=holder.name)
        super().__init__(message, field="tax_id")


def cross_tenant_message(tax_id: str, holder: str, target: str) -> str:
    """The exact sentence the seed prescribes for a tax ID bound to another tenant."""
    return _(CROSS_TENANT, tax_id=tax_id, holder=holder, target=target)


def count_holder_lookup(tenant: Tenant, tax_id: str) -> None:
    """Count one tax ID of another tenant whose holder `tenant` is about to be told (the seed's
    message names it); RateLimited once HOLDER_PROBE_LIMIT different tax IDs were named to this
    tenant in the window. A tax ID already named in the window costs nothing again."""
    cfg = current_app.config
    window = cfg["HOLDER_PROBE_WINDOW"]
    named = FailureLimit("holder-named", 1, window)  # the set of (tenant, tax ID) named
    key = f"tenant:{tenant.id}|tax:{tax_id}"
    if named.seen(key):
        return
    limit = cfg["HOLDER_PROBE_LIMIT"]
    if wait := FailureLimit("holder-lookups", limit, window).take(f"tenant:{tenant.id}"):
        raise RateLimited(_(PROBED_TOO_OFTEN, limit=limit, minutes=retry_minutes(wait)),
                          field="tax_id")
    named.fail(key)


def _taken(holder: Enterprise, tenant: Tenant) -> TaxIdTaken:
    """The refusal for a tax ID already bound, counted when it names another tenant."""
    if holder.tenant_id != tenant.id:
        count_holder_lookup(tenant, holder.tax_id)
    return TaxIdTaken(holder, tenant)


def check(data) -> dict:
    """The cleaned fields of one enterprise, or InvalidEnterprise listing every problem."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    name, problem = business_fields.clean("name", data.get("name"))
    if problem or not name:
        errors["name"] = problem or _("请输入企业名称")
    cleaned["name"] = name
    problem = taxid.problem(data.get("tax_id"))
    if problem:
        errors["tax_id"] = problem
    cleaned["tax_id"] = taxid.normalise(data.get("tax_id"))
    for field in BUSINESS_FIELDS:
        cleaned[field.name], problem = business_fields.clean(field.name, data.get(field.name))
        if problem:
            errors[field.name] = problem
    if errors:
        raise InvalidEnterprise(errors)
    return cleaned


def find_holder(tax_id: str) -> Enterprise | None:
    """The enterprise (with its tenant) that holds this tax ID, in any tenant."""
    return db.session.scalar(
        select(Enterprise).options(joinedload(Enterprise.tenant))
        .where(Enterprise.tax_id == taxid.normalise(tax_id)))


def holder_of(raw_tax_id: str | None) -> Enterprise | None:
    """The enterprise holding this tax ID, even one today's rule refuses: a tax ID stored under
    an older, looser rule stays the key it was, so who holds it is still the answer."""
    reading = taxid.read(raw_tax_id)
    return find_holder(reading.tax_id) if reading.kind else None


def bound_tax_ids(tax_ids: list[str], tenant_id: int) -> dict[str, str]:
    """Which of `tax_ids` a tenant holds already: "own" (`tenant_id`) or "other". The other
    tenant is never named here: autofill only warns that saving will be refused."""
    if not tax_ids:
        return {}
    rows = db.session.execute(select(Enterprise.tax_id, Enterprise.tenant_id).where(
        Enterprise.tax_id.in_({taxid.normalise(t) for t in tax_ids})))
    return {tax: "own" if holder == tenant_id else "other" for tax, holder in rows}


def resolve_source(claimed: str | None, tax_id: str, name: str) -> str:
    """工商自动获取 only when the registry really holds this tax ID under this name."""
    if claimed != SOURCE_REGISTRY:
        return SOURCE_MANUAL
    info = registry.lookup_tax_id(tax_id)
    return SOURCE_REGISTRY if info is not None and info.name == name else SOURCE_MANUAL


def add(tenant: Tenant, data, *, actor: User, source: str | None = None,
        ip: str | None = None, via: str = "form") -> Enterprise:
    """Bind a new enterprise to `tenant`; raises InvalidEnterprise, TaxIdTaken, or RateLimited
    when the tax ID is another tenant's and this tenant was told too many holders already."""
    try:
        cleaned = check(data)
    except InvalidEnterprise as exc:
        if set(exc.errors) == {"tax_id"} and (holder := holder_of(data.get("tax_id"))):
            raise _taken(holder, tenant) from None
        raise
    holder = find_holder(cleaned["tax_id"])
    if holder is not None:
        raise _taken(holder, tenant)
    enterprise = Enterprise(
        tenant_id=tenant.id, created_by_id=actor.id,
        source=resolve_source(source, cleaned["tax_id"], cleaned["name"]), **cleaned)
    if not add_unique(enterprise):
        # A concurrent add of the same tax ID committed between our check and our insert.
        raise _taken(find_holder(cleaned["tax_id"]), tenant)
    enterprises_added(tenant.id)
    audit.record("enterprise.created", actor=actor, tenant_id=tenant.id, target=enterprise,
                 ip=ip, tax_id=enterprise.tax_id, name=enterprise.name, source=enterprise.source,
                 via=via)
    return enterprise


class ListRow(NamedTuple):
    """One row of 企业管理, read as a Core row (no ORM entity per row)."""

    id: int
    name: str
    tax_id: str
    legal_rep: str | None
    reg_status: str | None
    source: str
    created_at: datetime


@dataclass
class Page:
    items: list[ListRow]
    total: int
    next_after: int | None  # id to continue after (older entries)
    prev_before: int | None  # id to go back before (newer entries)

    @property
    def source_labels(self) -> dict[str, str]:
        """数据来源 by code, translated once for the page (a lazy string costs ~10 µs a row)."""
        return {code: str(label) for code, label in SOURCE_LABELS.items()}


def _list_query():
    c = Enterprise.__table__.c
    return select(c.id, c.name, c.tax_id, c.legal_rep, c.reg_status, c.source, c.created_at)


@cache
def _list_statements() -> dict:
    # Built once: building and compiling a statement cost more than running it here.
    c, tenant = Enterprise.__table__.c, Tenant.__table__.c
    stmts = keyset.statements(_list_query().where(c.tenant_id == bindparam("tenant_id")), [c.id],
                              descending=True)
    stmts["total"] = select(tenant.enterprise_count).where(tenant.id == bindparam("tenant_id"))
    return stmts


def page(tenant_id: int, q: str = "", after: int | None = None, before: int | None = None,
         size: int = PAGE_SIZE) -> Page:
    """One page of the tenant's enterprises, newest first, by keyset on id (two statements).

    Without a search, both are built once and the total is the tenant's kept count
    (models/tenant.py), not count(*) over its rows."""
    if (clause := search.clause(q)) is not None:
        where = [Enterprise.tenant_id == tenant_id, clause]
        found = keyset.page(_list_query().where(*where), [Enterprise.id], lambda e: e[0],
                            after=after, before=before, size=size, descending=True)
        total = db.session.scalar(select(func.count()).select_from(Enterprise).where(*where))
        rows = [ListRow(*r) for r in found.rows]
        return Page(items=rows, total=total, next_after=found.next_key, prev_before=found.prev_key)
    stmts, conn = _list_statements(), db.session.connection()
    params = {"tenant_id": tenant_id, "limit": size + 1}
    which = "first"
    if before is not None:
        which = "before"
        params.update(keyset.key_params(before))
    elif after is not None:
        which = "after"
        params.update(keyset.key_params(after))
    rows = [ListRow(*r) for r in conn.execute(stmts[which], params).all()]
    found = keyset.assemble(rows, lambda e: e.id, size=size, after=after, before=before)
    total = conn.execute(stmts["total"], {"tenant_id": tenant_id}).scalar()
    return Page(items=found.rows, total=total, next_after=found.next_key,
                prev_before=found.prev_key)
