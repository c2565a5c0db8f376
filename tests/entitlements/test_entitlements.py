"""租户权益查询 through HTTP: numbers equal the allocations, statuses by date, isolation, staff search,
filters, keyset pages and a constant number of SQL statements per page."""
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import bulk
import pytest
from factories import PASSWORD, login
from flask import url_for
from sqlalchemy import func, select

from webapp.database import count_statements
from webapp.entitlements import service as entitlements
from webapp.entitlements.service import ACTIVE, EXPIRED, SOON, validity_status
from webapp.extensions import db
from webapp.models import Allocation, OrderLine


def _cells(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table class="table" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr data-[a-z]+=\"\d+\">(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows]


@pytest.fixture
def world(app):
    """Two tenants with orders, enterprises and allocations; admins can log in."""
    today = entitlements.today()
    with app.app_context():
        a = bulk.tenant("苏州甲科技有限公司")
        b = bulk.tenant("杭州乙贸易有限公司")
        lines_a = bulk.order(a, "SO-A1", {"issue": (5, today + timedelta(days=200)),
                                             "receive": (3, today + timedelta(days=10))})
        old = bulk.order(a, "SO-A0", {"image": (2, today - timedelta(days=1))})
        forever = bulk.order(a, "SO-A2", {"archive": (4, None)})
        ents_a = bulk.enterprises(a, 4, name="甲分公司{:02d}")
        bulk.allocate(lines_a["issue"], ents_a[:3])
        bulk.allocate(lines_a["receive"], ents_a[:1])
        bulk.allocate(old["image"], ents_a[3:4])
        lines_b = bulk.order(b, "SO-B1", {"issue": (2, today + timedelta(days=100))})
        ents_b = bulk.enterprises(b, 2, start=100, name="乙分公司{:02d}")
        bulk.allocate(lines_b["issue"], ents_b[:1])
        bulk.tenant_admin(a, "admin-a@example.com", PASSWORD)
        bulk.tenant_admin(b, "admin-b@example.com", PASSWORD)
        db.session.commit()
    return {"a": a, "b": b, "ents_a": ents_a, "ents_b": ents_b, "lines_a": lines_a,
            "forever": forever, "today": today}


def test_statuses_by_date():
    today = date(2026, 6, 1)
    assert validity_status(None, today) == ACTIVE
    assert validity_status(today - timedelta(days=1), today) == EXPIRED
    assert validity_status(today, today) == SOON
    assert validity_status(today + timedelta(days=30), today) == SOON
    assert validity_status(today + timedelta(days=31), today) == ACTIVE


def test_tenant_admin_numbers_equal_the_allocations(app, client, world):
    login(client, "admin-a@example.com")
    html = client.get("/entitlements/").get_data(as_text=True)
    assert "苏州甲科技有限公司" in html and "杭州乙贸易有限公司" not in html
    lines = _cells(html, "ent-lines")
    by_product = {row[1]: row for row in lines}
    with app.app_context():
        counts = dict(tuple(r) for r in db.session.execute(
            select(Allocation.line_id, func.count()).group_by(Allocation.line_id)))
        for line in db.session.scalars(select(OrderLine).join(OrderLine.order)
                                       .where(OrderLine.order.has(tenant_id=world["a"]))):
            row = by_product[line.product.name]
            assert int(row[3]) == counts.get(line.id, 0) == line.allocated
            assert int(row[4]) == line.quantity - counts.get(line.id, 0)
            assert int(row[2]) == line.quantity
    assert by_product["发票云开票"][6] == "生效中"
    assert by_product["发票云收票"][6] == "即将到期"
    assert by_product["发票云影像"][6] == "已过期"
    assert by_product["电子档案"][5].endswith("长期") and by_product["电子档案"][6] == "生效中"
    ents = {row[0]: row for row in _cells(html, "ent-enterprises")}
    assert set(ents) == {f"甲分公司{i:02d}" for i in range(4)}
    assert "发票云开票" in ents["甲分公司00"][2] and "发票云收票" in ents["甲分公司00"][2]
    assert "发票云开票" in ents["甲分公司02"][2] and "发票云收票" not in ents["甲分公司02"][2]
    assert f"自 {world['today']:%Y-%m-%d}" in ents["甲分公司01"][2]


def test_tenant_admin_cannot_see_another_tenant(client, world):
    login(client, "admin-a@example.com")
    assert client.get(f"/entitlements/tenants/{world['b']}").status_code == 404
    assert client.get(f"/entitlements/tenants/{world['b']}/export.csv").status_code == 404
    assert client.get("/entitlements/tenants/999999").status_code == 404
    assert client.get(f"/entitlements/tenants/{world['a']}").status_code == 200
    # a cursor pointing into another tenant positions nothing and shows none of its rows
    html = client.get(f"/entitlements/?after={world['ents_b'][0]}").get_data(as_text=True)
    assert "乙分公司" not in html


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/entitlements/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("query", ["杭州乙", "乙分公司101", "TAXB"])
def test_staff_finds_a_tenant_by_tenant_name_enterprise_name_or_tax_id(client, make_staff, world, query):
    if query == "TAXB":
        query = bulk.tax_id(101).lower()  # normalised: lower case is accepted
    login(client, make_staff("support"))
    html = client.get("/entitlements/", query_string={"q": query}).get_data(as_text=True)
    assert "杭州乙贸易有限公司" in html and "苏州甲科技有限公司" not in html
    assert f'/entitlements/tenants/{world["b"]}' in html
    page = client.get(f'/entitlements/tenants/{world["b"]}').get_data(as_text=True)
    assert "乙分公司100" in page and "SO-B1" in page and "甲分公司" not in page


@pytest.mark.parametrize("role", ["approver", "ops"])
def test_every_staff_role_can_query(client, make_staff, world, role):
    login(client, make_staff(role))
    assert client.get(f'/entitlements/tenants/{world["a"]}').status_code == 200


def test_staff_search_without_match_and_overlong(client, make_staff, world):
    login(client, make_staff("support"))
    html = client.get("/entitlements/", query_string={"q": "不存在的公司"}).get_data(as_text=True)
    assert "未找到匹配" in html
    response = client.get("/entitlements/", query_string={"q": "长" * 101})
    assert response.status_code == 422
    assert "搜索内容不能超过 100 个字符" in response.get_data(as_text=True)


def test_filters_by_product_and_search(client, world):
    login(client, "admin-a@example.com")
    html = client.get("/entitlements/", query_string={"product": "receive"}).get_data(as_text=True)
    assert [r[1] for r in _cells(html, "ent-lines")] == ["发票云收票"]
    ents = _cells(html, "ent-enterprises")
    assert [r[0] for r in ents] == ["甲分公司00"] and "发票云开票" not in ents[0][2]
    html = client.get("/entitlements/", query_string={"q": bulk.tax_id(2)}).get_data(as_text=True)
    assert [r[0] for r in _cells(html, "ent-enterprises")] == ["甲分公司02"]
    html = client.get("/entitlements/", query_string={"q": "分公司03"}).get_data(as_text=True)
    assert [r[0] for r in _cells(html, "ent-enterprises")] == ["甲分公司03"]
    html = client.get("/entitlements/", query_string={"q": "100%_"}).get_data(as_text=True)
    assert "没有符合条件的企业" in html


@pytest.mark.parametrize("args, message", [
    ({"product": "nope"}, "请选择列表中的产品"),
    ({"q": "x" * 101}, "搜索内容不能超过 100 个字符"),
])
def test_bad_filters_are_explained(client, world, args, message):
    login(client, "admin-a@example.com")
    for url in ("/entitlements/", f"/entitlements/tenants/{world['a']}/export.csv"):
        response = client.get(url, query_string=args)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    response = client.get("/entitlements/", query_string=args, headers={"HX-Request": "true"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)


def test_hostile_names_are_escaped(app, client, world):
    with app.app_context():
        bulk.enterprises(world["a"], 1, start=500, name="<script>alert({})</script>")
        db.session.commit()
    login(client, "admin-a@example.com")
    html = client.get("/entitlements/").get_data(as_text=True)
    assert "<script>alert(500)" not in html and "&lt;script&gt;alert(500)" in html


def _pages(client, url, log):
    """Walk every page; returns (enterprise names in order, statements per page, from `log`)."""
    names, statements, next_url = [], [], url
    log.clear()
    while next_url:
        html = client.get(next_url).get_data(as_text=True)
        names += [row[0] for row in _cells(html, "ent-enterprises")]
        statements.append(len(log))
        log.clear()
        match = re.search(r'<a href="([^"]+)"[^>]*>下一页</a>', html)
        next_url = match.group(1).replace("&amp;", "&") if match else None
    return names, statements


@pytest.fixture
def statement_log(app):
    """The SQL statements sent while the test runs (clear it before the request you measure)."""
    with count_statements(app) as seen:
        yield seen


def test_keyset_pages_cover_every_enterprise_once(app, client, world, statement_log):
    with app.app_context():
        bulk.enterprises(world["a"], 120, start=1000, name="丙企业{:04d}")
        db.session.commit()
    login(client, "admin-a@example.com")
    names, statements = _pages(client, "/entitlements/", statement_log)
    assert len(statements) == 3 and len(set(statements)) == 1
    assert len(names) == 124 and len(set(names)) == 124
    assert set(names) == {f"甲分公司{i:02d}" for i in range(4)} | {f"丙企业{i:04d}" for i in range(1000, 1120)}


def test_statements_per_page_do_not_grow_with_rows(app, client, world, statement_log):
    login(client, "admin-a@example.com")
    with app.app_context():
        line = bulk.order(world["a"], "SO-BIG", {"issue": (2000, None)})["issue"]
        ids = bulk.enterprises(world["a"], 6, start=2000)
        bulk.allocate(line, ids)
        db.session.commit()
    statement_log.clear()
    client.get("/entitlements/")
    small = len(statement_log)
    with app.app_context():
        ids = bulk.enterprises(world["a"], 1000, start=3000)
        bulk.allocate(line, ids)
        db.session.commit()
    statement_log.clear()
    html = client.get("/entitlements/").get_data(as_text=True)
    assert len(_cells(html, "ent-enterprises")) == entitlements.PAGE_SIZE
    assert len(statement_log) == small
    next_url = re.search(r'<a href="([^"]+)"[^>]*>下一页</a>', html).group(1).replace("&amp;", "&")
    statement_log.clear()
    assert client.get(next_url).status_code == 200
    assert len(statement_log) == small


def test_page_links_are_what_url_for_builds(app, client, world):
    """The filter's action, 下一页 and 导出 CSV are written without the router: the same URLs as
    url_for, with a search holding spaces, CJK, & and % and a product filter."""
    with app.app_context():
        bulk.enterprises(world["a"], 60, start=1000, name="丙 企业&%{:04d}")
        db.session.commit()
    login(client, "admin-a@example.com")
    query = {"q": "丙 企业&%", "product": "", "submit": "查询"}
    html = client.get("/entitlements/", query_string=query).get_data(as_text=True)
    found = re.search(r'<a href="([^"]+)"[^>]*>下一页</a>', html).group(1).replace("&amp;", "&")
    export = re.search(r'<a class="button" href="([^"]+)" download>', html).group(1)
    after = parse_qs(urlsplit(found).query)["after"][0]
    with app.test_request_context("/entitlements/", query_string=query):
        assert found == url_for("entitlements.index", q="丙 企业&%", product="", after=after)
        assert export.replace("&amp;", "&") == url_for(
            "entitlements.export", tenant_id=world["a"], q="丙 企业&%", product="")
    assert 'action="/entitlements/"' in html
    assert len(_cells(client.get(found).get_data(as_text=True), "ent-enterprises")) == 10
