"""The one place the model-based test (test_model.py) calls the app: one small function per
operation, each as the route calls the service, and the reads each list or page makes.

Every write runs as one unit of work, as web/boundary.py runs a request: committed when the
service returns, rolled back when it refuses (a ServiceError: the 4xx the route answers).
When a service's signature changes, adapt it here and nowhere else.
"""
import time
from dataclasses import dataclass

from golive.erp_client import make_sign
from sqlalchemy import select

from webapp.core import unit_of_work
from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.models import (ChangeRequest, Credential, Enterprise, Order, OrderLine, Tenant,
                           User)

IP = "127.0.0.1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a tiny attachment (written consent, 证明材料)


@dataclass
class Refused:
    """A service's refusal (the route's 4xx); nothing it did was kept."""

    error: ServiceError

    @property
    def message(self) -> str:
        return self.error.message


def unit_of_work_in(app, work):
    """Run `work()` as a request's unit of work: its result, or Refused (rolled back)."""
    with app.app_context():
        try:
            result = work()
        except ServiceError as exc:
            unit_of_work.finish(False)
            return Refused(exc)
        unit_of_work.finish(True)
        return result


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _tenant(tenant_id: int) -> Tenant:
    return db.session.get(Tenant, tenant_id)


def _req(request_id: int) -> ChangeRequest:
    return db.session.get(ChangeRequest, request_id)


def _upload(name: str = "consent.png"):
    """What attachments.uploads() hands the services for one PNG file."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    return [FileStorage(BytesIO(PNG), filename=name, content_type="image/png")]


# ---- 新增企业, ticks and 【下一步】 ----

def add_enterprise(app, tenant_id: int, actor_id: int, name: str, tax_id: str):
    """POST /enterprises/new: the new enterprise's id, or Refused (TaxIdTaken…)."""
    from webapp.enterprises import service as enterprises

    return unit_of_work_in(app, lambda: enterprises.add(
        _tenant(tenant_id), {"name": name, "tax_id": tax_id}, actor=_user(actor_id),
        source=None, ip=IP).id)


def tick(app, tenant_id: int, order_id: int, line_id: int, enterprise_id: int, ticked: bool,
         user_id: int):
    """POST …/toggle (htmx): the Tick, None for a 404; a refused tick (409) writes nothing."""
    from webapp.allocation import drafts

    def work():
        found = drafts.toggle(tenant_id, order_id, line_id, enterprise_id, ticked, user_id)
        if found is not None and found.refused:
            raise ServiceError(found.refused)
        return found

    return unit_of_work_in(app, work)


def commit_draft(app, tenant_id: int, order_id: int, line_id: int, user_id: int):
    """【下一步】 then 确认分配 (GET …/confirm gives a token, POST …/commit allocates)."""
    from webapp.allocation import batches

    token = unit_of_work_in(app, batches.new_token)
    return unit_of_work_in(app, lambda: batches.allocate(
        tenant_id, order_id, line_id, token, _user(user_id), ip=IP)[0].id)


# ---- filing the four requests ----

def file_tax_change(app, tenant_id: int, actor_id: int, allocation_id: int, new_name: str,
                    new_tax_id: str):
    """【申请变更】 (POST /requests/tax/<allocation>, action=submit): the request id."""
    from webapp.changes import filing

    data = {"change_case": "wrong_tax_id", "new_name": new_name, "new_tax_id": new_tax_id,
            "reason": "激活时税号填写错误", "action": "submit"}
    return unit_of_work_in(app, lambda: filing.file_tax_change(
        _tenant(tenant_id), _user(actor_id), allocation_id, data, upload=_upload("证明.png"),
        ip=IP).id)


def file_move(app, tenant_id: int, actor_id: int, tax_id: str):
    """【联系售后】 企业变更租户 (POST /requests/move): the request id."""
    from webapp.changes import service as change_requests

    return unit_of_work_in(app, lambda: change_requests.submit_move(
        _tenant(tenant_id), _user(actor_id), tax_id, "该企业已归属本集团", ip=IP).id)


def file_merge(app, tenant_id: int, actor_id: int, other_name: str, direction: str):
    """合并租户 (POST /requests/merge, action=submit): the request id."""
    from webapp.changes import filing

    return unit_of_work_in(app, lambda: filing.file_merge(
        _tenant(tenant_id), _user(actor_id), other_name, direction, "集团内合并", ip=IP).id)


def merge_preview(app, tenant_id: int, actor_id: int, other_name: str):
    """合并租户's 【预览】 (POST /requests/merge, action=preview): the preview, or Refused."""
    from webapp.changes import filing, preview
    from webapp.models.request import MERGE

    def work():
        filing.merge_other(_tenant(tenant_id), other_name, "into_other")
        return preview.before_consent(MERGE)

    return unit_of_work_in(app, work)


# ---- the steps of a request (POST /requests/<id>/<step>) ----

def accept(app, request_id: int, actor_id: int, *, consent: bool = True):
    """确认 by the other side's admin, or by support on its behalf (with the tenant's written
    consent attached when `consent`)."""
    from webapp.changes import lifecycle

    return unit_of_work_in(app, lambda: lifecycle.accept(
        _req(request_id), _user(actor_id), "同意", consent=_upload() if consent else None, ip=IP))


def refuse(app, request_id: int, actor_id: int):
    from webapp.changes import lifecycle

    return unit_of_work_in(app, lambda: lifecycle.refuse(
        _req(request_id), _user(actor_id), "该企业仍归我方", ip=IP))


def approve(app, request_id: int, actor_id: int, fee: str):
    from webapp.changes import lifecycle

    return unit_of_work_in(app, lambda: lifecycle.approve(
        _req(request_id), _user(actor_id), "核实无误", fee=fee, restart_validity=False, ip=IP))


def reject(app, request_id: int, actor_id: int):
    from webapp.changes import lifecycle

    return unit_of_work_in(app, lambda: lifecycle.reject(
        _req(request_id), _user(actor_id), "材料不全", ip=IP))


def mark_paid(app, request_id: int, actor_id: int):
    from webapp.changes import lifecycle

    return unit_of_work_in(app, lambda: lifecycle.mark_paid(
        _req(request_id), _user(actor_id), "PAY-0001", ip=IP))


def retry(app, request_id: int, actor_id: int):
    """重新执行 (execute again)."""
    from webapp.changes import lifecycle

    return unit_of_work_in(app, lambda: lifecycle.retry(_req(request_id), _user(actor_id), ip=IP))


# ---- credentials and the connection check ----

def rotate(app, tenant_id: int, actor_id: int, credential_id: int):
    """重置密钥 (POST /credentials/<id>/rotate, confirmed): None, or Refused (已停用: 409)."""
    from webapp.credentials import emails as authorization
    from webapp.credentials import service as credentials

    def work():
        cred = Credential.get_for_tenant(credential_id, tenant_id)
        if cred is None:
            raise ServiceError("404")
        credentials.rotate_secret(cred, actor=_user(actor_id), ip=IP)
        authorization.queue_rotation_email(cred, actor=_user(actor_id))

    return unit_of_work_in(app, work)


def clear_credential(app, credential_id: int) -> tuple[str, str]:
    """(client_id, client_secret) in clear, as the authorization email carries them."""
    from webapp.credentials import service as credentials

    with app.app_context():
        shown = credentials.reveal(db.session.get(Credential, credential_id))
        return shown["client_id"], shown["client_secret"]


def token_request(client, client_id: str, client_secret: str,
                  environment: str = "production") -> dict:
    """The ERP's token call (POST /base/oauth/token, the 测试环境's under /test) signed with the
    credential: its JSON."""
    timestamp = str(int(time.time()))
    prefix = "/test" if environment == "test" else ""
    response = client.post(f"{prefix}/base/oauth/token", json={
        "client_id": client_id, "timestamp": timestamp, "encType": 0,
        "sign": make_sign(client_id, client_secret, timestamp, 0)})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


# ---- what a tenant reads ----

COUNT_CELL = r"{label}\s*</t[dh]>\s*<t[dh][^>]*>\s*{n}\s*<"


def page_shows_counts(html: str, rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The (label, n) preview rows a page shows as a count beside its label."""
    import re

    return [(label, n) for label, n in rows
            if re.search(COUNT_CELL.format(label=re.escape(label), n=n), html)]


def signed_in_client(app, user_id: int):
    """A browser of this user, signed in through /login."""
    from factories import login

    with app.app_context():
        email = _user(user_id).email
    client = app.test_client()
    login(client, email)
    return client


def move_form_rows(tenant_id: int, actor_id: int, tax_id: str) -> list[tuple[str, int]]:
    """What the move form's preview would count for this tax ID (another tenant's)."""
    from webapp.changes import filing, preview
    from webapp.models.request import MOVE

    tenant = _tenant(tenant_id)
    holder = filing.movable(tenant, tax_id)
    return preview.rows(filing.draft(MOVE, _user(actor_id), tenant,
                                     **filing.move_fields(tenant, holder, None))[1])


def preview_rows_now(request_id: int) -> list[tuple[str, int]]:
    """The request's preview as it would be computed now, as (label, n) rows."""
    from webapp.changes import preview

    return preview.rows(preview.compute(_req(request_id)))

def _pages(page_after):
    """Every page of a keyset-paginated list, following 下一页: `page_after(after)` reads one."""
    after = None
    while True:
        page = page_after(after)
        yield page
        if page.next_after is None:
            return
        after = page.next_after


def enterprise_list(tenant_id: int) -> set[int]:
    """企业管理 (GET /enterprises/): every page."""
    from webapp.enterprises import service as enterprises

    return {e.id for page in _pages(lambda after: enterprises.page(tenant_id, after=after))
            for e in page.items}


def credential_list(tenant_id: int) -> dict[int, list[str]]:
    """授权信息 (GET /credentials/): enterprise id → the products its row names."""
    from webapp.credentials import listing

    return {row.enterprise.id: list(row.products)
            for page in _pages(lambda after: listing.enterprise_page(tenant_id, after=after))
            for row in page.rows}


def entitlement_list(tenant_id: int) -> dict[int, list[str]]:
    """租户权益查询, per enterprise: enterprise id → the products it holds."""
    from webapp.entitlements import service as entitlements

    return {row.id: [h.product for h in row.holdings]
            for page in _pages(lambda after: entitlements.enterprise_page(
                tenant_id, entitlements.Filters(), after=after))
            for row in page.rows}


def home_counts(tenant_id: int) -> int:
    """The tenant home's 已验证 + 尚未验证: the tax IDs it counts as allocated."""
    from webapp.golive import status as golive

    overview = golive.overview(tenant_id)
    return overview.verified_count + overview.unverified_count


def panel_rows(tenant_id: int) -> set[int]:
    """The enterprises every 去分配 panel of the tenant offers."""
    from webapp.allocation import drafts

    found = set()
    for line in db.session.scalars(select(OrderLine).join(Order).where(
            Order.tenant_id == tenant_id, Order.activated_at.is_not(None))):
        page = drafts.panel_page(line, tenant_id, size=500)
        found |= {row.id for row in page.rows}
    return found


def request_list(tenant_id: int) -> set[int]:
    """我的申请 (GET /requests/)."""
    from webapp.changes import service as change_requests

    found, after = set(), None
    while True:
        rows, after = change_requests.for_tenant(tenant_id, after=after)
        found |= {row[0].id for row in rows}
        if after is None:
            return found


def request_visible(request_id: int, user_id: int) -> bool:
    """GET /requests/<id> answers 200 (not 404) for this user."""
    from webapp.changes import lifecycle

    return lifecycle.visible(request_id, _user(user_id)) is not None


def audit_log(tenant_id: int) -> set[int]:
    """操作日志 (the tenant's audit log page): every entry id it lists."""
    from webapp.core import audit

    found, before = set(), None
    while True:
        page = audit.entries(tenant_id, audit.AuditFilters(), before=before, size=500)
        found |= {e.id for e in page.rows}
        if page.next_before is None:
            return found
        before = page.next_before


def enterprises_by_tax_id() -> dict[str, Enterprise]:
    return {e.tax_id: e for e in db.session.scalars(select(Enterprise))}
