"""The 企业授权 list: only allocated enterprises, search, keyset pages, 生成, constant SQL per page."""
import re

import pytest
from factories import login
from sqlalchemy import select

from webapp.credentials import service as credentials
from webapp.database import count_statements
from webapp.extensions import db
from webapp.models import AuditEntry, Credential, Enterprise

HX = {"HX-Request": "true"}
ROW_RE = re.compile(r'<tbody id="enterprise-(\d+)">')  # an enterprise's rows, one per environment


def give_credentials(app, enterprise_ids):
    with app.app_context():
        for enterprise_id in enterprise_ids:
            credentials.ensure_enterprise_credential(db.session.get(Enterprise, enterprise_id))
        db.session.commit()


def test_keyset_pages_walk_every_allocated_enterprise_once(app, client, admin, make_batch):
    _, ids = make_batch(admin, count=45)
    give_credentials(app, ids)
    with app.app_context():  # an enterprise without any allocation is not listed
        db.session.add(Enterprise(tenant_id=admin["tenant_id"], name="未分配企业", tax_id="91320500MA9ZZZZZ9Z"))
        db.session.commit()
    seen, url = [], "/credentials/"
    while url:
        page = client.get(url).get_data(as_text=True)
        rows = [int(i) for i in ROW_RE.findall(page)]
        assert len(rows) <= 20
        seen += rows
        match = re.search(r'<a href="(/credentials/\?after=\d+)"[^>]*>下一页</a>', page)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) == 45
    assert "未分配企业" not in page


def test_search_by_name_or_tax_id_prefix(app, client, admin, make_batch):
    _, ids = make_batch(admin, names=[("苏州甲科技有限公司", "91320500MA1AAAAA11"),
                                      ("杭州乙贸易有限公司", "91330100MA2BBBBB22"),
                                      ("苏州丙物流有限公司", "91320500MA3CCCCC33")])
    give_credentials(app, ids)
    page = client.get("/credentials/?q=苏州").get_data(as_text=True)
    assert "苏州甲科技" in page and "苏州丙物流" in page and "杭州乙贸易" not in page
    page = client.get("/credentials/?q=91330100").get_data(as_text=True)
    assert ROW_RE.findall(page) == [str(ids[1])]
    fragment = client.get("/credentials/?q=91330100", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith("<div id=\"enterprise-credentials\">")
    assert ROW_RE.findall(fragment) == [str(ids[1])]


@pytest.mark.parametrize("query", ["%", "_", "\\", "<script>alert(1)</script>", "x" * 100, "' OR 1=1 --"])
def test_hostile_search_matches_nothing_and_is_escaped(app, client, admin, make_batch, query):
    make_batch(admin, count=3)
    response = client.get("/credentials/", query_string={"q": query})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ROW_RE.findall(page) == []
    assert "<script>alert(1)</script>" not in page
    assert "没有找到与" in page


def test_an_overlong_search_is_refused_as_on_every_list(client, admin, make_batch):
    """Every list answers a search past 100 characters the same way (core/text.search_text):
    422, the reason, and its first page (it was cut to 100 here and refused on the panel)."""
    make_batch(admin, count=3)
    response = client.get("/credentials/", query_string={"q": "x" * 5000})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "搜索内容不能超过 100 个字符" in page
    assert len(ROW_RE.findall(page)) == 3


@pytest.mark.parametrize("path", ["/enterprises/", "/support/"])
def test_an_overlong_search_on_the_other_lists(app, client, admin, make_staff, path):
    if path == "/support/":
        client = app.test_client()
        login(client, make_staff("support"))
    response = client.get(path, query_string={"q": "长" * 101})
    assert response.status_code == 422
    assert "搜索内容不能超过 100 个字符" in response.get_data(as_text=True)
    assert client.get(path, query_string={"q": "长" * 100}).status_code == 200


@pytest.mark.parametrize("after", ["abc", "-1", "999999999", "1e9"])
def test_bad_cursor_shows_a_page_not_an_error(app, client, admin, make_batch, after):
    make_batch(admin, count=2)
    assert client.get(f"/credentials/?after={after}").status_code == 200


def test_generate_on_demand_for_allocated_enterprises_only(app, client, admin, make_batch):
    _, ids = make_batch(admin, count=2)
    page = client.get("/credentials/").get_data(as_text=True)
    assert page.count(">尚未生成<") == 4  # two enterprises, two environments
    assert "生成测试环境租户授权" in page and "生成正式环境租户授权" in page
    # without a named environment, 生成 makes the 正式环境 set (the one that existed before)
    assert client.post(f"/credentials/enterprise/{ids[0]}/generate").status_code == 303
    assert client.post(f"/credentials/enterprise/{ids[0]}/generate",
                       data={"environment": "production"}).status_code == 303  # replay: one
    assert client.post(f"/credentials/enterprise/{ids[0]}/generate",
                       data={"environment": "test"}).status_code == 303
    assert client.post("/credentials/tenant/generate").status_code == 303
    # an unknown environment writes nothing: 400; a control character is refused before (422)
    for bad, status in (("staging", 400), ("x" * 5000, 400), ("TEST", 400), ("test\x00", 422)):
        response = client.post(f"/credentials/enterprise/{ids[1]}/generate",
                               data={"environment": bad})
        assert response.status_code == status, bad
    with app.app_context():
        creds = db.session.scalars(select(Credential)).all()
        assert sorted((c.scope, c.enterprise_id, c.environment) for c in creds) == [
            ("enterprise", ids[0], "production"), ("enterprise", ids[0], "test"),
            ("tenant", None, "production")]
        lonely = Enterprise(tenant_id=admin["tenant_id"], name="未分配企业", tax_id="91320500MA9ZZZZZ9Z")
        db.session.add(lonely)
        db.session.commit()
        lonely_id = lonely.id
        created = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "credential.created")).all()
        assert {e.actor_id for e in created} == {admin["user_id"]}
    assert client.post(f"/credentials/enterprise/{lonely_id}/generate").status_code == 404
    assert client.post("/credentials/enterprise/999999/generate").status_code == 404
    page = client.get("/credentials/").get_data(as_text=True)
    assert page.count(">尚未生成<") == 2 and "生成正式环境租户授权" not in page
    assert "生成测试环境租户授权" in page


def test_statements_per_page_do_not_grow_with_the_tenant(app, client, admin, make_batch):
    _, few = make_batch(admin, count=3)
    give_credentials(app, few)
    client.get("/credentials/")
    with count_statements(app) as small:
        client.get("/credentials/")
    _, many = make_batch(admin, count=60)
    give_credentials(app, many)
    with count_statements(app) as large:
        page = client.get("/credentials/").get_data(as_text=True)
    assert len(ROW_RE.findall(page)) == 20
    with count_statements(app) as later:
        client.get(f"/credentials/?after={ROW_RE.findall(page)[-1]}")
    assert len(small) == len(large) == len(later)  # the cursor row is read in the page statement
    assert len(large) <= 8
