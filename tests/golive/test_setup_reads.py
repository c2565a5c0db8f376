"""接入指引 only reads: the credential exists from the allocation (or the tax ID change) on, and
the page answers 200 for every allocated enterprise, however it got its allocation. A GET that
wrote would fail here on both databases (fixtures/database.py guard_reads)."""
from factories import add_enterprises, count, first_line, login, tax_id
from request_rows import request_of
from sqlalchemy import select

from webapp.allocation import batches, drafts
from webapp.core import unit_of_work
from webapp.extensions import db
from webapp.models import Allocation, Credential, Enterprise, User


def _allocate_through_the_service(app, admin) -> int:
    """Tick one enterprise and 确认分配 with the services the panel and 【下一步】 call."""
    (enterprise_id,) = add_enterprises(app, admin["tenant_id"], 1, name="服务分配企业")
    line_id = first_line(app, admin["order_id"])
    with app.app_context():
        drafts.toggle(admin["tenant_id"], admin["order_id"], line_id, enterprise_id, True,
                      admin["user_id"])
        unit_of_work.finish(True)
        batches.allocate(admin["tenant_id"], admin["order_id"], line_id, batches.new_token(),
                         db.session.get(User, admin["user_id"]))
        unit_of_work.finish(True)
    return enterprise_id


def _setup_page(client, enterprise_id: int) -> str:
    response = client.get(f"/golive/setup/{enterprise_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _client_ids(app, enterprise_id: int) -> dict[str, str]:
    with app.app_context():
        return {c.environment: c.client_id for c in db.session.scalars(
            select(Credential).where(Credential.enterprise_id == enterprise_id))}


def test_an_enterprise_allocated_through_the_service_has_its_card(app, client, admin):
    """Both environments' credentials come with the allocation, each with its own card."""
    enterprise_id = _allocate_through_the_service(app, admin)
    client_ids = _client_ids(app, enterprise_id)
    html = _setup_page(client, enterprise_id)
    assert set(client_ids) == {"test", "production"}
    assert all(client_id in html for client_id in client_ids.values())
    assert "尚未生成" not in html
    assert html.index("接入指引：星空 · 测试环境") < html.index("接入指引：星空 · 正式环境")


def test_an_enterprise_that_went_through_a_tax_id_change_has_its_card(
        app, client, admin, make_batch, signed_in):
    _batch, (old_id,) = make_batch(admin, line_index=1, names=[("苏州收票旧税号有限公司", tax_id(21))])
    with app.app_context():
        allocation_id = db.session.scalar(select(Allocation.id)
                                          .where(Allocation.enterprise_id == old_id))
    new_tax_id = tax_id(22, "91330100")
    filed = client.post(f"/requests/tax/{allocation_id}", data={
        "kind": "tax_change_receive", "change_case": "deregistered", "action": "submit",
        "new_name": "杭州收票新税号有限公司", "new_tax_id": new_tax_id, "reason": "原税号已注销"})
    assert filed.status_code == 303
    approved = signed_in("approver").post(f"/requests/{request_of(app).id}/approve")
    assert approved.status_code == 303
    with app.app_context():
        new = db.session.scalar(select(Enterprise).where(Enterprise.tax_id == new_tax_id))
    client_ids = _client_ids(app, new.id)
    html = _setup_page(client, new.id)
    assert set(client_ids) == {"test", "production"}
    assert all(client_id in html for client_id in client_ids.values()) and new_tax_id in html


def test_an_enterprise_from_before_the_rule_is_offered_its_credential(
        app, client, admin, make_batch):
    """Data allocated before credentials came with the allocation: the page reads, says so and
    offers 生成 per environment (a POST); it used to create the credential in the GET (a 500
    on SQLite, whose reads cannot write)."""
    _batch, (enterprise_id,) = make_batch(admin, count=1)
    html = _setup_page(client, enterprise_id)
    assert "尚未生成测试环境的企业授权" in html and "尚未生成正式环境的企业授权" in html
    assert "生成测试环境企业授权" in html and "生成正式环境企业授权" in html
    assert count(app, Credential, Credential.enterprise_id == enterprise_id) == 0
    generated = client.post(f"/credentials/enterprise/{enterprise_id}/generate",
                            data={"then": "setup", "environment": "test"})
    assert generated.status_code == 303
    assert generated.headers["Location"].endswith(f"/golive/setup/{enterprise_id}")
    client_ids = _client_ids(app, enterprise_id)
    assert list(client_ids) == ["test"] and client_ids["test"].startswith("fpy-test-e-")
    html = _setup_page(client, enterprise_id)
    assert client_ids["test"] in html and "尚未生成正式环境的企业授权" in html
    assert "尚未生成测试环境的企业授权" not in html


def test_another_tenants_enterprise_is_a_404(app, admin, make_admin, make_batch):
    other = make_admin(customer="杭州别家有限公司", email="other@example.com")
    _batch, (enterprise_id,) = make_batch(other, count=1)
    client = app.test_client()
    login(client, admin["email"])
    assert client.get(f"/golive/setup/{enterprise_id}").status_code == 404
