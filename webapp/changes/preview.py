"""The preview of a request: what will move, what collides, what stops it.

Computed from the same clauses (scope.py) and checks that execution uses; stored with the
request when it is filed and computed again at execution, so an approver sees both when the
numbers changed in between. A preview is plain JSON:
{"counts": {kind: n}, "collisions": [text], "problems": [text], "notes": [text]}.
"""
from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.changes import scope
from webapp.core import taxid
from webapp.enterprises import service as enterprises
from webapp.extensions import db
from webapp.web import i18n
from webapp.models import Allocation, ChangeRequest, Credential, Enterprise, OrderLine, Tenant
from webapp.models.allocation import ACTIVE, is_active
from webapp.models.request import KIND_LABELS, MERGE, MOVE, TAX_ISSUE, TAX_KINDS

MERGED_SUFFIX = "（合并）"  # i18n: data (added to a stored enterprise name)
# Kinds every step of the request itself adds to (its audit entries, its emails): a change in
# them alone is not a change the approver must compare.
GROWING = ("audit", "emails")
ISSUE_PRODUCT = "issue"


def kind_for_product(product_code: str) -> str:
    """The form a tax ID change uses: 开票 for the invoicing product, 收票 (free) for the rest."""
    return TAX_ISSUE if product_code == ISSUE_PRODUCT else "tax_change_receive"


def _count(model, where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(where)) or 0


def counts_of(rows: dict) -> dict:
    return {kind: _count(model, where) for kind, (model, where) in rows.items()}


def merged_name(name: str) -> str:
    return name[:200 - len(MERGED_SUFFIX)] + MERGED_SUFFIX


def name_collisions(source_where, target_id: int) -> list[tuple[int, str]]:
    """(id, name) of source enterprises whose name the target tenant already uses."""
    taken = select(Enterprise.name).where(Enterprise.tenant_id == target_id)
    return db.session.execute(select(Enterprise.id, Enterprise.name)
                              .where(source_where, Enterprise.name.in_(taken))
                              .order_by(Enterprise.id)).all()


def _tenant_problems(source: Tenant | None, target: Tenant | None) -> list[str]:
    problems = []
    if source is None or target is None:
        return [_("租户不存在")]
    if source.id == target.id:
        problems.append(_("现租户与新租户相同，无需变更"))
    for tenant in (source, target):
        if tenant.merged_into_id is not None:
            problems.append(_("租户【%(name)s】已合并至其他租户，不能再变更", name=tenant.name))
    return problems


def for_move(req: ChangeRequest) -> dict:
    enterprise = db.session.get(Enterprise, req.enterprise_id)
    source = db.session.get(Tenant, req.source_tenant_id)
    target = db.session.get(Tenant, req.target_tenant_id)
    problems = _tenant_problems(source, target)
    if enterprise is None or enterprise.tenant_id != req.source_tenant_id:
        problems.append(_("企业【%(tax_id)s】已不在租户【%(tenant)s】下", tax_id=req.tax_id,
                          tenant=source.name if source else ''))
        return dict(counts={}, collisions=[], problems=problems, notes=[])
    counts = counts_of(scope.enterprise_rows(enterprise.id, source.id, req.id))
    collisions = [_("新租户已有同名企业【%(name)s】，迁入后名称加后缀：%(merged)s", name=name,
                    merged=merged_name(name))
                  for _id, name in name_collisions(Enterprise.id == enterprise.id, target.id)]
    lines = _count(OrderLine, OrderLine.id.in_(
        select(Allocation.line_id).where(Allocation.enterprise_id == enterprise.id)))
    notes = [_("该企业分配所占用的 %(lines)s 个订单行仍属于原订单（租户【%(tenant)s】），"
               "不随企业迁移；已分配数量不变。", lines=lines, tenant=source.name), str(HISTORY_STAYS)]
    return dict(counts=counts, collisions=collisions, problems=problems, notes=notes)


def _tenant(tenant_id: int | None) -> Tenant | None:
    return db.session.get(Tenant, tenant_id) if tenant_id is not None else None


def for_merge(req: ChangeRequest) -> dict:
    source, target = _tenant(req.source_tenant_id), _tenant(req.target_tenant_id)
    problems = _tenant_problems(source, target)
    if problems:
        return dict(counts={}, collisions=[], problems=problems, notes=[])
    counts = counts_of(scope.tenant_rows(source.id, req.id))  # the request itself moves too
    collisions = [_("目标租户已有同名企业【%(name)s】，合并后名称加后缀：%(merged)s", name=name,
                    merged=merged_name(name))
                  for _id, name in name_collisions(Enterprise.tenant_id == source.id, target.id)]
    notes = [_("合并后租户【%(source)s】显示为 已合并至【%(target)s】，不能再登录操作或分配。",
               source=source.name, target=target.name)]
    if _count(Credential, (Credential.tenant_id == source.id) & Credential.enterprise_id.is_(None)):
        notes.append(_("原租户的租户授权保留为已停用（目标租户沿用自己的租户授权）。"))
    return dict(counts=counts, collisions=collisions, problems=problems, notes=notes)


def for_tax_change(req: ChangeRequest) -> dict:
    """Checks of a tax ID change; `new_enterprise_id` is not trusted: the tax ID decides."""
    problems: list[str] = []
    allocation = db.session.get(Allocation, req.allocation_id) if req.allocation_id else None
    if allocation is None or allocation.status != ACTIVE:
        return dict(counts={}, collisions=[], problems=[_("该分配已不存在或已被替换")], notes=[])
    old = allocation.enterprise
    product = allocation.line.product
    if old.tenant_id != req.source_tenant_id:  # the enterprise moved to another tenant since
        return dict(counts={}, collisions=[], problems=[_("企业【%(tax_id)s】已不在本租户下", tax_id=old.tax_id)],
                    notes=[])
    if kind_for_product(product.code) != req.kind:
        problems.append(_("该分配的产品是【%(product)s】，不能使用【%(kind)s】变更（不能跨产品）",
                          product=gettext(product.name), kind=KIND_LABELS[req.kind]))
    problem = taxid.problem(req.new_tax_id)
    if problem:
        problems.append(problem)
    new_tax_id = taxid.normalise(req.new_tax_id)
    if new_tax_id == old.tax_id:
        problems.append(_("新税号与原税号相同，无需变更"))
    holder = enterprises.find_holder(new_tax_id) if not problem else None
    if holder is not None and holder.tenant_id != old.tenant_id:
        problems.append(_("企业【%(tax_id)s】已绑定在其他租户下，不能变更至该税号", tax_id=new_tax_id))
    if holder is not None and holder.tenant_id == old.tenant_id and _count(
            Allocation, (Allocation.line_id == allocation.line_id)
            & (Allocation.enterprise_id == holder.id)):
        problems.append(_("企业【%(tax_id)s】已持有该订单行的权益，不能重复分配", tax_id=new_tax_id))
    creds = _count(Credential, (Credential.enterprise_id == old.id))
    others = _count(Allocation, (Allocation.enterprise_id == old.id) & is_active()
                    & (Allocation.id != allocation.id))
    counts = {"allocations": 1, "enterprises": 0 if holder else 1}
    notes = [_("原分配（%(name)s %(tax_id)s，%(product)s）保留为已替换，指向新分配；订单行已分配数量不变。",
               name=old.name, tax_id=old.tax_id, product=gettext(product.name)),
             (_("原税号仍持有其他 %(others)s 项权益，其企业授权信息保持有效；", others=others)
              if others else _("原企业授权信息 %(creds)s 条标记为已停用（保留，不删除）；", creds=creds))
             + _("新企业获得授权信息与授权邮件。")]
    if holder is None and not problem:
        notes.append(_("将在本租户下新建企业【%(name)s】（%(tax_id)s）。", name=req.new_name,
                       tax_id=new_tax_id))
    return dict(counts=counts, collisions=[], problems=problems, notes=notes)


HISTORY_STAYS = _l("原租户提交的申请和操作日志保留在原租户，不随企业迁移；"
                   "新租户的操作日志记录“从【原租户】转入”。")
# What the filer sees before the other side consents: what such a request does in general,
# never the other side's counts (nor, for a merge, whether the named tenant exists).
BEFORE_CONSENT = {
    MOVE: [_l("审批通过后，该企业及其分配、授权信息和未提交的勾选将变更到新租户下；分配所占用的订单行"
              "仍属于原订单。"), HISTORY_STAYS, _l("现租户确认后，双方均可查看将迁移的数据。")],
    MERGE: [_l("审批通过后，原租户的订单、企业、分配、授权信息、申请、操作日志、管理员和邮件记录将全部"
               "并入目标租户；原租户显示为已合并，不能再登录操作或分配。"),
            _l("对方租户确认后，双方均可查看将迁移的数据。")],
}


def before_consent(kind: str, problems: list[str] | None = None) -> dict:
    """The preview shown to the filer while the other side has not consented."""
    return dict(counts={}, collisions=[], problems=list(problems or []),
                notes=[str(note) for note in BEFORE_CONSENT[kind]])


def compute(req: ChangeRequest) -> dict:
    """The preview of `req` as things stand now, in the reader's language (the one stored at
    filing is in the filer's: `locale` says which, so `differs` compares like with like)."""
    if req.kind in TAX_KINDS:
        found = for_tax_change(req)
    elif req.kind == MOVE:
        found = for_move(req)
    elif req.kind == MERGE:
        found = for_merge(req)
    else:
        raise ValueError(req.kind)
    return {**found, "locale": i18n.locale_name()}


def differs(stored: dict | None, current: dict | None) -> bool:
    """Whether the approver must see both previews (counts or collisions changed)."""
    if not stored or not current:
        return False

    def business(p: dict) -> dict:
        return {k: v for k, v in (p.get("counts") or {}).items() if k not in GROWING}

    def collisions(p: dict) -> list | int:
        # Worded in the language each was computed in (a preview stored before the portal
        # spoke English is Chinese): compared as sentences when both share it, else counted.
        found = p.get("collisions") or []
        same = stored.get("locale", i18n.DEFAULT) == current.get("locale", i18n.DEFAULT)
        return found if same else len(found)

    return business(stored) != business(current) or collisions(stored) != collisions(current)


def rows(preview: dict | None) -> list[tuple[str, int]]:
    """(label, n) for display, in the order of scope.LABELS."""
    counts = (preview or {}).get("counts") or {}
    return [(str(label), counts[kind]) for kind, label in scope.LABELS.items() if kind in counts]
