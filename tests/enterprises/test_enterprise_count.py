"""The kept count of a tenant's enterprises (tenant.enterprise_count, what 企业管理 shows as
共 N 家企业) equals count(*) after every operation that creates, moves or merges enterprises:
新增企业, 批量导入, 权益税号变更 (a new enterprise), 企业变更租户 and 合并租户."""
import io
import re

import pytest
from factories import tax_id
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Allocation, ChangeRequest, Enterprise, Tenant, User
from webapp.models.request import MERGE, MOVE, TAX_ISSUE


def kept_and_counted(app) -> dict[int, tuple[int, int]]:
    counted = (select(func.count()).select_from(Enterprise)
               .where(Enterprise.tenant_id == Tenant.id).scalar_subquery())
    with app.app_context():
        return {tid: (kept, n) for tid, kept, n in db.session.execute(
            select(Tenant.id, Tenant.enterprise_count, counted))}


def assert_kept(app):
    """Every tenant's kept count is its count(*); returns the kept counts by tenant id."""
    rows = kept_and_counted(app)
    assert all(kept == n for kept, n in rows.values()), rows
    return {tid: kept for tid, (kept, _n) in rows.items()}


def execute(app, actor_id: int, **fields) -> None:
    """Run a change request's execution (what an approval does) in one transaction."""
    from webapp.changes import execute as changes

    with app.app_context():
        req = ChangeRequest(**fields)
        changes.apply(req, db.session.get(User, actor_id), {})
        db.session.commit()


@pytest.fixture
def two(make_admin, make_batch):
    target = make_admin(customer="苏州示例科技有限公司", email="buyer@example.com")
    holder = make_admin(customer="杭州持有集团有限公司", email="holder@example.com")
    _b, held = make_batch(holder, count=3)
    return target, holder, held


def test_the_kept_count_follows_every_operation(app, client, two):
    from webapp.enterprises import service as enterprises

    target, holder, held = two
    t, h = target["tenant_id"], holder["tenant_id"]
    assert assert_kept(app)[h] == 3

    with app.app_context():  # 新增企业
        enterprises.add(db.session.get(Tenant, t), {"name": "新增企业有限公司", "tax_id": tax_id(1)},
                        actor=db.session.get(User, target["user_id"]))
        db.session.commit()
    assert assert_kept(app)[t] == 1

    from factories import login  # 批量导入 over HTTP, as a tenant admin does it
    login(client, target["email"])
    csv = "企业名称,企业税号\n" + "".join(f"导入企业{i}有限公司,{tax_id(10 + i)}\n" for i in range(4))
    html = client.post("/enterprises/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(csv.encode()), "e.csv")}).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/enterprises/import/confirm", data={"token": token}).status_code == 303
    assert assert_kept(app)[t] == 5
    assert "共 5 家企业" in client.get("/enterprises/").get_data(as_text=True)

    with app.app_context():  # 权益税号变更 to a tax ID no tenant holds: a new enterprise
        allocation = db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == held[0]))
    execute(app, holder["user_id"], kind=TAX_ISSUE, tenant_id=h, allocation_id=allocation,
            new_tax_id=tax_id(99), new_name="税号变更后企业有限公司", new_info={})
    assert assert_kept(app)[h] == 4

    execute(app, holder["user_id"], kind=MOVE, tenant_id=t, enterprise_id=held[1],  # 企业变更租户
            source_tenant_id=h, target_tenant_id=t)
    counts = assert_kept(app)
    assert (counts[t], counts[h]) == (6, 3)

    execute(app, holder["user_id"], kind=MERGE, tenant_id=t,  # 合并租户
            source_tenant_id=h, target_tenant_id=t)
    counts = assert_kept(app)
    assert (counts[t], counts[h]) == (9, 0)
    assert "共 9 家企业" in client.get("/enterprises/").get_data(as_text=True)
