"""新增企业 through HTTP: labels, validation, one tenant per tax ID, the list and 404s."""
import threading

import pytest
from factories import count, login, statements_for, tax_id
from sqlalchemy import event

from webapp.extensions import db
from webapp.models import AuditEntry, Enterprise
from webapp.models.tenant import recount_enterprises

CROSS = ("企业【{t}】在租户【{holder}】下已有数据，一个企业只能绑定一个租户!如你确认一定要将该企业"
         "绑定在新租户【{target}】下，请点击【联系售后】操作。")


@pytest.fixture
def other(app, make_admin):
    """A second tenant (杭州另一集团有限公司) with its own admin and client."""
    info = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    info["client"] = app.test_client()
    login(info["client"], info["email"])
    return info


def post_new(client, **fields):
    data = {"name": "苏州示例分公司", "tax_id": tax_id(7), "source": "manual", **fields}
    return client.post("/enterprises/new", data=data)


def test_form_has_real_labels_for_every_field(client, admin):
    html = client.get("/enterprises/new").get_data(as_text=True)
    for field, label in [("name", "企业名称"), ("tax_id", "企业税号"), ("legal_rep", "法定代表人"),
                         ("registered_capital", "注册资本"), ("established_on", "成立日期"),
                         ("reg_status", "登记状态"), ("company_type", "企业类型"),
                         ("address", "注册地址"), ("authority", "登记机关"),
                         ("business_scope", "经营范围")]:
        assert f'<label for="{field}">{label}</label>' in html
        assert f'id="{field}"' in html
    assert "查询工商信息" in html and 'hx-trigger="input changed delay:300ms"' in html
    assert 'hx-indicator="#autofill-indicator"' in html


def test_list_has_add_button_and_nav_link(client, admin):
    html = client.get("/enterprises/").get_data(as_text=True)
    assert 'href="/enterprises/new">新增企业</a>' in html
    assert 'href="/enterprises/">企业管理</a>' in html
    assert "还没有企业" in html


def test_add_manual_enterprise_then_listed(app, client, admin):
    response = post_new(client, name="  苏州示例分公司 ", tax_id="９１" + tax_id(7)[2:].lower(),
                        legal_rep="张三", established_on="2016/5/20", business_scope="软件\n开发")
    assert response.status_code == 303 and response.location.endswith("/enterprises/")
    html = client.get("/enterprises/").get_data(as_text=True)
    assert "已新增企业：苏州示例分公司" in html and tax_id(7) in html and "手动填写" in html
    with app.app_context():
        ent = db.session.query(Enterprise).one()
        assert (ent.name, ent.tax_id, ent.tenant_id) == ("苏州示例分公司", tax_id(7), admin["tenant_id"])
        assert ent.established_on == "2016-05-20" and ent.business_scope == "软件\n开发"
        assert ent.source == "manual" and ent.created_by_id == admin["user_id"]
        entry = db.session.query(AuditEntry).filter_by(action="enterprise.created").one()
        assert entry.tenant_id == admin["tenant_id"] and entry.detail["tax_id"] == tax_id(7)


@pytest.mark.parametrize("fields,message", [
    ({"tax_id": "91110000600037341X"}, "企业税号校验未通过：这不是一个有效的统一社会信用代码，请与营业执照"),
    ({"tax_id": "12345"}, "当前为 5 位"),
    ({"tax_id": "9111000060003734OL"}, "企业税号含有不允许的字符：O（第 17 位"),
    ({"tax_id": ""}, "请输入企业税号"),
    ({"name": ""}, "请输入企业名称"),
    ({"name": "名" * 201}, "企业名称不能超过 200 个字符（当前 201 个）"),
    ({"address": "路" * 301}, "注册地址不能超过 300 个字符"),
    ({"name": "坏\x00名"}, "不能包含控制字符"),  # the one rule, before the form
    ({"name": "abc\u202e名"}, "企业名称含有不可见的控制字符"),
    ({"established_on": "去年"}, "成立日期格式应为 YYYY-MM-DD"),
    ({"established_on": "2999-01-01"}, "成立日期不能晚于今天"),
])
def test_bad_input_is_refused_with_a_clear_message(app, client, admin, fields, message):
    response = post_new(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Enterprise) == 0


def test_hostile_text_is_stored_as_text_and_escaped(app, client, admin):
    hostile = '<script>alert(1)</script>"\'><img src=x onerror=alert(1)>'
    assert post_new(client, name=hostile[:200], address=hostile).status_code == 303
    html = client.get("/enterprises/").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    with app.app_context():
        assert db.session.query(Enterprise).one().address == hostile


def test_missing_fields_are_refused(app, client, admin):
    response = client.post("/enterprises/new", data={})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请输入企业名称" in html and "请输入企业税号" in html
    assert count(app, Enterprise) == 0


def test_tax_id_of_another_tenant_gives_the_exact_message_and_contact_button(app, client, admin, other):
    assert post_new(other["client"], name="杭州子公司", tax_id=tax_id(9)).status_code == 303
    response = post_new(client, name="想要的企业", tax_id=tax_id(9))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    expected = CROSS.format(t=tax_id(9), holder="杭州另一集团有限公司", target="苏州示例科技有限公司")
    assert expected in html
    assert f'href="/requests/move?tax_id={tax_id(9)}">联系售后</a>' in html
    with app.app_context():
        ent = db.session.query(Enterprise).one()
        assert ent.tenant_id == other["tenant_id"] and ent.name == "杭州子公司"


def test_tax_id_this_tenant_holds_says_so_and_links_to_it(app, client, admin):
    assert post_new(client, tax_id=tax_id(3)).status_code == 303
    response = post_new(client, name="别名", tax_id=tax_id(3))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    with app.app_context():
        ent_id = db.session.query(Enterprise).one().id
    assert f"企业【{tax_id(3)}】（苏州示例分公司）已在本租户下，无需重复新增。" in html
    assert f'href="/enterprises/{ent_id}">查看该企业</a>' in html
    assert "联系售后" not in html
    assert count(app, Enterprise) == 1


def test_replayed_form_adds_nothing_twice(app, client, admin):
    assert post_new(client, tax_id=tax_id(4)).status_code == 303
    assert post_new(client, tax_id=tax_id(4)).status_code == 422
    assert count(app, Enterprise) == 1


def test_concurrent_adds_of_one_tax_id_bind_it_once(app, make_admin):
    """Two tenants add the same tax ID at once: one wins, the other gets the clear message.

    Both requests are held just before their INSERT until both got there, so on PostgreSQL both
    pass the check and the UNIQUE constraint decides; SQLite's BEGIN IMMEDIATE makes the second
    wait for the first (the barrier then times out) and its check sees the row."""
    a = make_admin(customer="甲集团有限公司", email="a@example.com")
    b = make_admin(customer="乙集团有限公司", email="b@example.com")
    clients = [app.test_client(), app.test_client()]
    login(clients[0], a["email"])
    login(clients[1], b["email"])
    barrier = threading.Barrier(2, timeout=3)
    met = []

    def hold_inserts(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO ENTERPRISE"):
            try:
                barrier.wait()
                met.append(True)
            except threading.BrokenBarrierError:
                pass

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hold_inserts)
    results = [None, None]

    def add(i):
        results[i] = post_new(clients[i], name=f"并发企业{i}", tax_id=tax_id(11))

    threads = [threading.Thread(target=add, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        event.remove(engine, "before_cursor_execute", hold_inserts)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [303, 422]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(met) == 2, "both adds passed the check: the UNIQUE constraint decided"
    loser = next(r for r in results if r.status_code == 422).get_data(as_text=True)
    with app.app_context():
        ent = db.session.query(Enterprise).one()
        holder = ent.tenant.name
    target = "乙集团有限公司" if holder == "甲集团有限公司" else "甲集团有限公司"
    assert CROSS.format(t=tax_id(11), holder=holder, target=target) in loser


def test_integrity_error_path_gives_the_same_message(app, client, admin, other, monkeypatch):
    """Even when the check misses (a stale read), the UNIQUE constraint answers clearly."""
    from webapp.enterprises import service as enterprises

    assert post_new(other["client"], tax_id=tax_id(12)).status_code == 303
    real = enterprises.find_holder
    calls = []

    def stale_first(tax):
        calls.append(tax)
        return None if len(calls) == 1 else real(tax)

    monkeypatch.setattr(enterprises, "find_holder", stale_first)
    response = post_new(client, tax_id=tax_id(12))
    assert response.status_code == 422
    assert CROSS.format(t=tax_id(12), holder="杭州另一集团有限公司",
                        target="苏州示例科技有限公司") in response.get_data(as_text=True)
    assert len(calls) == 2 and count(app, Enterprise) == 1


def test_other_tenants_enterprise_is_404(app, client, admin, other):
    assert post_new(other["client"], tax_id=tax_id(13)).status_code == 303
    with app.app_context():
        ent_id = db.session.query(Enterprise).one().id
    assert other["client"].get(f"/enterprises/{ent_id}").status_code == 200
    assert client.get(f"/enterprises/{ent_id}").status_code == 404
    assert client.get("/enterprises/999999").status_code == 404
    assert "共 0 家企业" in client.get(f"/enterprises/?q={tax_id(13)}").get_data(as_text=True)


def test_staff_and_anonymous_are_kept_out(app, make_staff):
    anon = app.test_client()
    assert anon.get("/enterprises/").status_code == 302
    assert anon.post("/enterprises/new", data={"name": "x"}).status_code == 302
    staff = app.test_client()
    login(staff, make_staff("support"))
    assert staff.get("/enterprises/").status_code == 403
    assert staff.get("/enterprises/new").status_code == 403
    assert staff.get("/requests/").status_code == 403


def test_csrf_is_required(make_admin, make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    info = make_admin()
    from factories import csrf_token

    login(client, info["email"], csrf=True)
    assert client.post("/enterprises/new", data={"name": "x", "tax_id": tax_id(1)}).status_code == 400
    token = csrf_token(client, "/enterprises/new")
    response = client.post("/enterprises/new", data={"name": "有令牌", "tax_id": tax_id(1),
                                                     "csrf_token": token})
    assert response.status_code == 303
    assert count(app, Enterprise) == 1


def _seed(app, tenant_id, n, start=0):
    with app.app_context():
        db.session.execute(Enterprise.__table__.insert(), [
            {"tenant_id": tenant_id, "tax_id": tax_id(start + i, "91330100MA"),
             "name": f"批量企业{start + i:05d}", "source": "manual", "legal_rep": "赵六"}
            for i in range(n)])
        recount_enterprises([tenant_id])  # inserted in bulk, past the services that keep it
        db.session.commit()


def test_search_by_name_or_tax_id_and_keyset_pages(app, client, admin):
    _seed(app, admin["tenant_id"], 120)
    html = client.get("/enterprises/").get_data(as_text=True)
    assert "共 120 家企业" in html and "批量企业00119" in html and "批量企业00070" in html
    assert "批量企业00069" not in html and "下一页" in html and "上一页" not in html
    import re

    after = re.search(r'after=(\d+)">下一页', html).group(1)
    page2 = client.get(f"/enterprises/?after={after}").get_data(as_text=True)
    assert "批量企业00069" in page2 and "批量企业00020" in page2 and "批量企业00070" not in page2
    before = re.search(r'before=(\d+)">上一页', page2).group(1)
    back = client.get(f"/enterprises/?before={before}").get_data(as_text=True)
    assert "批量企业00119" in back and "批量企业00069" not in back
    by_name = client.get("/enterprises/?q=企业0010").get_data(as_text=True)
    assert "共 10 家企业" in by_name and "批量企业00105" in by_name
    by_tax = client.get(f"/enterprises/?q={tax_id(42, '91330100MA')[:16].lower()}").get_data(as_text=True)
    assert "批量企业00042" in by_tax
    fragment = client.get("/enterprises/?q=00042", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="enterprise-list">') and "<html" not in text
    assert client.get("/enterprises/?q=%25").get_data(as_text=True).count("共 0 家企业") == 1


def test_sql_statements_per_page_do_not_grow_with_rows(app, client, admin):
    _seed(app, admin["tenant_id"], 10)
    small = statements_for(app, client, "/enterprises/")
    small_search = statements_for(app, client, "/enterprises/?q=批量")
    _seed(app, admin["tenant_id"], 1500, start=10)
    large = statements_for(app, client, "/enterprises/")
    large_search = statements_for(app, client, "/enterprises/?q=批量")
    html = client.get("/enterprises/").get_data(as_text=True)
    assert "共 1510 家企业" in html
    import re

    after = re.search(r'after=(\d+)">下一页', html).group(1)
    deep = statements_for(app, client, f"/enterprises/?after={after}")
    assert small == large == deep and small_search == large_search


def test_htmx_post_answers_fragment_or_hx_redirect(app, client, admin):
    hx = {"HX-Request": "true"}
    bad = client.post("/enterprises/new", data={"name": "甲", "tax_id": "123"}, headers=hx)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert html.lstrip().startswith('<title>错误：新增企业 · 发票云激活中心</title>\n<form id="enterprise-form"')
    assert "当前为 3 位" in html and "<html" not in html
    good = client.post("/enterprises/new", data={"name": "甲", "tax_id": tax_id(21)}, headers=hx)
    assert good.status_code == 204 and good.headers["HX-Redirect"] == "/enterprises/"
    assert count(app, Enterprise) == 1


def test_migration_0002_downgrades_and_upgrades(tmp_path):
    """The keyset index migration runs both ways (on a throwaway SQLite file)."""
    from fixtures.database import BASE_CONFIG
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from webapp import create_app

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    with app.app_context():
        upgrade()
        names = lambda: {ix["name"] for ix in inspect(db.engine).get_indexes("enterprise")}  # noqa: E731
        assert "ix_enterprise_tenant_id_id" in names()
        downgrade(revision="0001")
        assert "ix_enterprise_tenant_id" in names() and "ix_enterprise_tenant_id_id" not in names()
        upgrade()
        assert "ix_enterprise_tenant_id_id" in names()
        db.engine.dispose()
