"""The per-enterprise CSV export: streamed, UTF-8 with BOM, formula-safe, equal to the allocations."""
import csv
import io
from datetime import timedelta

import bulk
import pytest
from factories import PASSWORD, login
from sqlalchemy import select

from webapp.core.csvexport import safe_cell
from webapp.entitlements import service as entitlements
from webapp.extensions import db
from webapp.models import Allocation, AuditEntry, Enterprise, Order, OrderLine, Product


def _allocations(app, tenant_id, product=None):
    with app.app_context():
        stmt = (select(Enterprise.name, Enterprise.tax_id, Product.name, Order.order_no)
                .select_from(Allocation).join(Enterprise).join(OrderLine).join(Order).join(Product)
                .where(Enterprise.tenant_id == tenant_id))
        if product:
            stmt = stmt.where(Product.code == product)
        return sorted(tuple(r) for r in db.session.execute(stmt))


def _read(response):
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == list(entitlements.EXPORT_HEADER)
    return rows[1:]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 123", "'+86 123"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=cmd", "'\t=cmd"), ("苏州示例", "苏州示例"), (None, ""), (3, "3"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_export_of_10000_enterprises_streams_and_equals_the_allocations(app, client):
    today = entitlements.today()
    with app.app_context():
        tenant = bulk.tenant("大型集团有限公司")
        lines = bulk.order(tenant, "SO-BIG", {"issue": (10_000, today + timedelta(days=400)),
                                                  "receive": (10, today + timedelta(days=5))})
        ids = bulk.enterprises(tenant, 10_000, name="集团成员企业{:05d}")
        bulk.allocate(lines["issue"], ids)
        bulk.allocate(lines["receive"], ids[:3])
        bulk.tenant_admin(tenant, "group@example.com", PASSWORD)
        db.session.commit()
    login(client, "group@example.com")

    response = client.get(f"/entitlements/tenants/{tenant}/export.csv", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    chunks = list(response.response)
    assert len(chunks) > 10  # written as it is read, not built whole first
    response = client.get(f"/entitlements/tenants/{tenant}/export.csv")
    rows = _read(response)
    assert len(rows) == 10_003
    assert sorted(tuple(r[:4]) for r in rows) == _allocations(app, tenant)
    receive = [r for r in rows if r[2] == "发票云收票"]
    assert len(receive) == 3 and {r[6] for r in receive} == {"即将到期"}
    assert {r[6] for r in rows if r[2] == "发票云开票"} == {"生效中"}


def test_export_follows_the_filters_and_neutralises_formulas(app, client):
    with app.app_context():
        tenant = bulk.tenant("公式测试有限公司")
        lines = bulk.order(tenant, "SO-F", {"issue": (10, None), "image": (10, None)})
        plain = bulk.enterprises(tenant, 3, name="普通企业{}")
        evil = bulk.enterprises(tenant, 1, start=50, name='=HYPERLINK("http://evil.test","{}")')
        bulk.allocate(lines["issue"], plain + evil)
        bulk.allocate(lines["image"], plain[:1])
        bulk.tenant_admin(tenant, "formula@example.com", PASSWORD)
        db.session.commit()
    login(client, "formula@example.com")
    url = f"/entitlements/tenants/{tenant}/export.csv"

    rows = _read(client.get(url))
    assert len(rows) == 5
    assert "'=HYPERLINK(\"http://evil.test\",\"50\")" in [r[0] for r in rows]
    assert {r[5] for r in rows} == {"长期"}

    rows = _read(client.get(url, query_string={"product": "image"}))
    assert [tuple(r[:4]) for r in rows] == _allocations(app, tenant, "image")

    rows = _read(client.get(url, query_string={"q": "普通企业2"}))
    assert [r[0] for r in rows] == ["普通企业2"]


def test_staff_exports_any_tenant(app, client, make_staff):
    with app.app_context():
        tenant = bulk.tenant("客服导出有限公司")
        lines = bulk.order(tenant, "SO-S", {"receive": (2, None)})
        bulk.allocate(lines["receive"], bulk.enterprises(tenant, 2))
        db.session.commit()
    staff = make_staff("support")
    login(client, staff)
    rows = _read(client.get(f"/entitlements/tenants/{tenant}/export.csv?product=receive"))
    assert sorted(tuple(r[:4]) for r in rows) == _allocations(app, tenant)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "entitlements.exported")).one()
        assert (entry.actor_label, entry.tenant_id) == (staff, tenant)
        assert entry.detail == {"product": "receive"}


@pytest.mark.parametrize("q", ["%00", "a%01b", "长" * 101])
def test_a_bad_query_is_refused_before_any_csv(app, client, make_staff, q):
    with app.app_context():
        tenant = bulk.tenant("坏查询有限公司")
        db.session.commit()
    login(client, make_staff("support"))
    response = client.get(f"/entitlements/tenants/{tenant}/export.csv?q={q}")
    assert response.status_code == 422 and response.mimetype == "text/html"
    with app.app_context():
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "entitlements.exported")).first() is None

