"""工商信息 autofill on 新增企业: through htmx (fragments) and without JavaScript (full pages)."""
import re

import pytest
from factories import SUZHOU, SUZHOU_2, add_registry, login, tax_id

from webapp.extensions import db
from webapp.models import Enterprise

HX = {"HX-Request": "true"}


@pytest.fixture
def admin(app, client, make_admin):
    info = make_admin()
    login(client, info["email"])
    add_registry(app, SUZHOU, SUZHOU_2, {"tax_id": tax_id(5), "name": "无锡另一家制造有限公司"})
    return info


def test_typing_a_name_suggests_matches_as_a_fragment(client, admin):
    response = client.get("/enterprises/autofill?name=工业园区星辰", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert SUZHOU["name"] in html and SUZHOU_2["name"] in html and "无锡" not in html
    assert f'name="pick" value="{SUZHOU["tax_id"]}"' in html
    assert 'hx-get="/enterprises/new"' in html and 'hx-target="#enterprise-form"' in html


def test_q_parameter_and_limit_of_ten(app, client, admin):
    add_registry(app, *({"tax_id": tax_id(100 + i), "name": f"常州测试企业{i:02d}有限公司"}
                        for i in range(15)))
    html = client.get("/enterprises/autofill?q=常州测试", headers=HX).get_data(as_text=True)
    assert html.count('name="pick"') == 10


def test_two_characters_match_name_prefixes(client, admin):
    html = client.get("/enterprises/autofill?name=苏州", headers=HX).get_data(as_text=True)
    assert SUZHOU["name"] in html and SUZHOU_2["name"] in html and "无锡" not in html


def test_one_character_suggests_nothing_and_unknown_says_fill_by_hand(client, admin):
    assert 'name="pick"' not in client.get("/enterprises/autofill?name=星", headers=HX).get_data(as_text=True)
    html = client.get("/enterprises/autofill?name=不存在的公司", headers=HX).get_data(as_text=True)
    assert "未查询到工商信息，请手动填写" in html


def test_complete_tax_id_is_looked_up(client, admin):
    html = client.get(f"/enterprises/autofill?tax_id={SUZHOU['tax_id'].lower()}",
                      headers=HX).get_data(as_text=True)
    assert SUZHOU["name"] in html and html.count('name="pick"') == 1
    partial = client.get(f"/enterprises/autofill?tax_id={SUZHOU['tax_id'][:10]}", headers=HX)
    assert 'name="pick"' not in partial.get_data(as_text=True)


def test_picking_fills_the_form_fragment_editable_and_marked_registry(client, admin):
    response = client.get(f"/enterprises/new?pick={SUZHOU['tax_id']}", headers=HX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<title>新增企业 · 发票云激活中心</title>\n<form id="enterprise-form"')
    assert "<html" not in html
    # the next field after the picked name takes the focus (htmx honours autofocus)
    assert re.search(r'<input[^>]*\bautofocus\b[^>]*id="tax_id"|<input[^>]*id="tax_id"[^>]*\bautofocus\b',
                     html)
    for value in (SUZHOU["name"], SUZHOU["tax_id"], "王晓明", "1000万元人民币", "2016-05-20",
                  "存续", "苏州工业园区星湖街328号", "苏州工业园区市场监督管理局"):
        assert f'value="{value}"' in html
    assert "数据处理和存储服务；软件开发。</textarea>" in html
    assert 'name="source" type="hidden" value="registry"' in html and "工商自动获取" in html
    assert "readonly" not in html and "disabled" not in html


def test_save_after_pick_records_registry_source(app, client, admin):
    data = {**{k: v for k, v in SUZHOU.items()}, "source": "registry"}
    data["legal_rep"] = "王晓明（已修改）"  # the fields stay editable
    assert client.post("/enterprises/new", data=data).status_code == 303
    html = client.get("/enterprises/").get_data(as_text=True)
    assert SUZHOU["name"] in html and "工商自动获取" in html
    with app.app_context():
        ent = db.session.query(Enterprise).one()
        assert ent.source == "registry" and ent.legal_rep == "王晓明（已修改）"


def test_claimed_registry_source_is_checked(app, client, admin):
    """A name the registry does not hold under that tax ID is 手动填写, whatever the form says."""
    data = {"name": "随便写的名字", "tax_id": SUZHOU["tax_id"], "source": "registry"}
    assert client.post("/enterprises/new", data=data).status_code == 303
    with app.app_context():
        assert db.session.query(Enterprise).one().source == "manual"


def test_without_javascript_lookup_button_lists_then_pick_fills(client, admin):
    response = client.post("/enterprises/new", data={"name": "工业园区星辰", "lookup": "查询工商信息"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert SUZHOU["name"] in html and SUZHOU_2["name"] in html
    response = client.post("/enterprises/new", data={"name": "星辰", "pick": SUZHOU_2["tax_id"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'value="{SUZHOU_2["tax_id"]}"' in html
    assert 'value="李华"' in html and "工商自动获取" in html


def test_without_javascript_lookup_by_complete_tax_id_fills(client, admin):
    response = client.post("/enterprises/new", data={"tax_id": SUZHOU["tax_id"], "lookup": "查询工商信息"})
    html = response.get_data(as_text=True)
    assert f'value="{SUZHOU["name"]}"' in html and 'value="王晓明"' in html


def test_without_javascript_nothing_found_leaves_fields_open(client, admin):
    response = client.post("/enterprises/new", data={"name": "查无此企业", "legal_rep": "自己填",
                                                     "lookup": "查询工商信息"})
    html = response.get_data(as_text=True)
    assert "未查询到工商信息，请手动填写" in html
    assert 'value="查无此企业"' in html and 'value="自己填"' in html and "手动填写" in html


def test_picking_an_unknown_tax_id_says_fill_by_hand(client, admin):
    html = client.get(f"/enterprises/new?pick={tax_id(999)}", headers=HX).get_data(as_text=True)
    assert "未查询到工商信息，请手动填写" in html


def test_autofill_needs_a_tenant_admin(app):
    assert app.test_client().get("/enterprises/autofill?q=星辰").status_code == 302
    response = app.test_client().get("/enterprises/autofill?q=星辰", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_suggestions_mark_tax_ids_a_tenant_already_holds(app, client, admin, make_admin):
    """Another tenant's company is marked before anyone fills the form (the refusal would come
    only on 保存); that tenant is never named. The tenant's own is marked too."""
    holder = make_admin(customer="杭州另一集团有限公司", email="holder@example.com")
    with app.app_context():
        db.session.add(Enterprise(tenant_id=holder["tenant_id"], tax_id=SUZHOU["tax_id"],
                                  name=SUZHOU["name"]))
        db.session.add(Enterprise(tenant_id=admin["tenant_id"], tax_id=SUZHOU_2["tax_id"],
                                  name=SUZHOU_2["name"]))
        db.session.commit()
    html = client.get("/enterprises/autofill?name=工业园区星辰", headers=HX).get_data(as_text=True)
    buttons = {m.group(1): m.group(0)
               for m in re.finditer(r'value="([0-9A-Z]{18})"[\s\S]*?</button>', html)}
    assert "已被其他租户绑定" in buttons[SUZHOU["tax_id"]]
    assert "已在本租户下" in buttons[SUZHOU_2["tax_id"]]
    assert "杭州另一集团" not in html
    # the same marks without JavaScript (【查询工商信息】 lists the matches in the page)
    page = client.post("/enterprises/new", data={"name": "工业园区星辰", "lookup": "1"})
    assert "已被其他租户绑定" in page.get_data(as_text=True)
