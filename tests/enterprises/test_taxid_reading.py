"""The tax ID read aloud where enterprises come in: 新增企业 (live through the autofill, and in the
page 【查询工商信息】/【保存】 answer), the bulk import preview and the enterprise page, each next to
the registry's data, with a 企业类型 that contradicts the code flagged."""
import io
import re

import pytest
from factories import SUZHOU, add_registry, login, tax_id

from webapp.core import taxid
from webapp.extensions import db
from webapp.models import Enterprise

HX = {"HX-Request": "true"}
SOLE_TRADER = taxid.compose("92320505", "MA1XY2W3")  # 个体工商户 of 苏州市虎丘区
WUJIANG = taxid.compose("91320584", "13827301")  # 吴江市, a district of 苏州市 since 2012
PILOT = "91350203M0001FUE2P"
MISMATCH = ("注意：企业类型与税号不符：企业类型为“有限责任公司(自然人投资或控股)”（公司或其他企业），"
            "而税号第 1–2 位 9-2 表示“工商 · 个体工商户”。请核对企业税号和企业类型。")
SHOP = {**SUZHOU, "tax_id": SOLE_TRADER, "name": "苏州虎丘区小李便利店"}  # registry: a company


@pytest.fixture
def admin(app, client, make_admin):
    info = make_admin()
    login(client, info["email"])
    add_registry(app, SUZHOU, SHOP)
    return info


def reading_box(html: str) -> str:
    """The inside of the form's #taxid-reading live region (or of its out-of-band update)."""
    return re.search(r'<div id="taxid-reading"[^>]*>(.*?)</div>', html, re.S).group(1)


def test_typing_a_tax_id_reads_it_aloud_into_the_live_region(client, admin):
    response = client.get(f"/enterprises/autofill?tax_id={SUZHOU['tax_id']}", headers=HX)
    html = response.get_data(as_text=True)
    assert SUZHOU["name"] in html  # the suggestion, as before
    assert '<div id="taxid-reading" hx-swap-oob="innerHTML">' in html
    box = reading_box(html)
    assert "税号解析：<strong>工商 · 企业 · 江苏省苏州市（地区代码未知）</strong>" in box
    assert "地区代码未知：第 3–8 位 320594" in box and "注意" not in box


def test_the_live_reading_flags_the_registry_type_against_the_code(client, admin):
    html = client.get(f"/enterprises/autofill?tax_id={SOLE_TRADER}", headers=HX).get_data(as_text=True)
    box = reading_box(html)
    assert "工商 · 个体工商户 · 江苏省苏州市虎丘区" in box and MISMATCH in box


def test_the_live_reading_says_what_is_wrong_once_the_code_is_complete(client, admin):
    wrong = SUZHOU["tax_id"][:16] + "0" + SUZHOU["tax_id"][17]
    wrong = wrong[:17] + taxid.check_character(wrong[:17])  # only the embedded check fails
    box = reading_box(client.get(f"/enterprises/autofill?tax_id={wrong}", headers=HX)
                      .get_data(as_text=True))
    assert '<p class="error">税号解析：企业税号第 9–17 位（组织机构代码 ' in box
    typing = client.get(f"/enterprises/autofill?tax_id={wrong[:12]}", headers=HX).get_data(as_text=True)
    assert reading_box(typing).strip() == ""  # still typing: the region is emptied, no verdict
    by_name = client.get("/enterprises/autofill?name=工业园区星辰", headers=HX).get_data(as_text=True)
    assert "taxid-reading" not in by_name  # typing a name leaves the reading alone


def test_picking_and_the_no_js_lookup_show_the_reading_in_the_form(client, admin):
    html = client.get(f"/enterprises/new?pick={SOLE_TRADER}").get_data(as_text=True)
    assert '<div id="taxid-reading" aria-live="polite">' in html
    assert "工商 · 个体工商户 · 江苏省苏州市虎丘区" in reading_box(html) and MISMATCH in html
    html = client.post("/enterprises/new", data={"tax_id": SUZHOU["tax_id"], "lookup": "查询工商信息"}
                       ).get_data(as_text=True)
    assert "工商 · 企业 · 江苏省苏州市（地区代码未知）" in reading_box(html) and "注意" not in html
    assert reading_box(client.get("/enterprises/new").get_data(as_text=True)).strip() == ""


def test_save_refused_for_another_field_shows_the_reading_and_the_flag(client, admin):
    response = client.post("/enterprises/new", data={
        "name": "", "tax_id": SOLE_TRADER, "company_type": "有限责任公司(自然人投资或控股)",
        "submit": "保存"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请输入企业名称" in html
    assert "工商 · 个体工商户 · 江苏省苏州市虎丘区" in html and MISMATCH in html


def test_save_refuses_codes_the_reading_refuses_at_the_field(client, admin):
    for code, message in [
            (taxid.compose("94320500", "MA1MYYYY"), "企业税号第 1–2 位 9-4 不是有效的登记管理部门/机构类别"),
            ("91320500MA1MYYYY0K", "企业税号第 9–17 位（组织机构代码 MA1MYYYY-0）校验不通过")]:
        response = client.post("/enterprises/new", data={"name": "某公司", "tax_id": code,
                                                         "submit": "保存"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html
        assert reading_box(html).strip() == ""  # the message sits on the field, once


def test_saving_a_mismatch_is_allowed_and_flagged_then_shown_on_the_enterprise_page(app, client, admin):
    response = client.post("/enterprises/new", data={
        "name": SHOP["name"], "tax_id": SOLE_TRADER, "company_type": SHOP["company_type"],
        "submit": "保存"})
    assert response.status_code == 303
    index = client.get("/enterprises/").get_data(as_text=True)
    assert MISMATCH.removeprefix("注意：") in index
    with app.app_context():
        enterprise = db.session.query(Enterprise).filter_by(tax_id=SOLE_TRADER).one()
    html = client.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "<dt>税号解析</dt>" in html
    assert "税号解析：<strong>工商 · 个体工商户 · 江苏省苏州市虎丘区</strong>" in html and MISMATCH in html


def test_the_enterprise_page_reads_pilot_retired_legacy_and_old_invalid_codes(app, client, admin):
    with app.app_context():
        rows = [Enterprise(tenant_id=admin["tenant_id"], name=f"企业{i}", tax_id=code)
                for i, code in enumerate([PILOT, WUJIANG, "110108801234567", "91320500MA1MYYYY0K"])]
        db.session.add_all(rows)
        db.session.commit()
        ids = [e.id for e in rows]
    pages = [client.get(f"/enterprises/{i}").get_data(as_text=True) for i in ids]
    assert "工商 · 企业 · 福建省厦门市思明区" in pages[0] and taxid.PILOT_NOTE in pages[0]
    assert "工商 · 企业 · 江苏省苏州市吴江市（已调整）" in pages[1]
    assert "旧税号（15 位纳税人识别号），不含登记管理部门、机构类别和地区信息" in pages[2]
    # stored before the stricter rule: the page says what today's rule finds
    assert "税号解析：企业税号第 9–17 位（组织机构代码 MA1MYYYY-0）校验不通过" in pages[3]


def upload(client, text: str):
    data = {"file": (io.BytesIO(text.encode("utf-8-sig")), "enterprises.csv")}
    return client.post("/enterprises/import", data=data, content_type="multipart/form-data")


def test_the_import_preview_reads_each_row_and_flags_mismatches(client, admin):
    html = upload(client, "\n".join([
        "企业名称,企业税号,企业类型",
        f"甲子公司,{tax_id(1)},有限责任公司(自然人投资或控股)",          # 2: ok
        f"小李便利店,{SOLE_TRADER},有限责任公司(自然人投资或控股)",      # 3: ok, flagged
        f"试点公司,{PILOT},",                                          # 4: ok, the pilot note
        f"吴江公司,{WUJIANG},",                                        # 5: ok, （已调整）
        f"错类公司,{taxid.compose('94320500', 'MA1MYYYY')},",          # 6: refused
        "错码公司,91320500MA1MYYYY0K,",                                # 7: refused
    ]) + "\n").get_data(as_text=True)
    assert "可导入 <strong>4</strong> 行" in html and "有误 2 行" in html
    rows = dict(re.findall(r"<td>第 (\d+) 行</td>(.*?)</tr>", html, re.S))
    assert "工商 · 企业 · 江苏省苏州市" in rows["2"] and "注意" not in rows["2"]
    assert "工商 · 个体工商户 · 江苏省苏州市虎丘区" in rows["3"] and MISMATCH in rows["3"]
    assert "工商 · 企业 · 福建省厦门市思明区" in rows["4"] and taxid.PILOT_NOTE in rows["4"]
    assert "江苏省苏州市吴江市（已调整）" in rows["5"]
    assert "第 1–2 位 9-4 不是有效的登记管理部门/机构类别" in rows["6"] and "税号解析" not in rows["6"]
    assert "第 9–17 位（组织机构代码 MA1MYYYY-0）校验不通过" in rows["7"]


def test_the_import_page_sample_is_a_valid_code(client, admin):
    html = client.get("/enterprises/import").get_data(as_text=True)
    sample = re.search(r"苏州示例科技有限公司,([0-9A-Z]{18}),", html).group(1)
    assert taxid.is_valid(sample)


# --- tax IDs stored under the older rule (only the 18th character checked) ---

OLD_RULE = "91320500MA1MYYYY0K"  # valid 18th character, wrong embedded check


@pytest.fixture
def held_elsewhere(app, make_admin):
    """Another tenant holds OLD_RULE, stored before the stricter reading."""
    other = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    with app.app_context():
        db.session.add(Enterprise(tenant_id=other["tenant_id"], tax_id=OLD_RULE, name="杭州老企业"))
        db.session.commit()
    return other


def test_a_tax_id_on_record_gets_the_seed_message_not_a_format_refusal(client, admin, held_elsewhere):
    response = client.post("/enterprises/new", data={"name": "某公司", "tax_id": OLD_RULE.lower(),
                                                     "submit": "保存"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (f"企业【{OLD_RULE}】在租户【杭州另一集团有限公司】下已有数据，一个企业只能绑定一个租户!"
            in html)
    assert f'href="/requests/move?tax_id={OLD_RULE}">联系售后</a>' in html
    assert "校验不通过" not in html


def test_the_import_preview_says_who_holds_a_tax_id_on_record(client, admin, held_elsewhere):
    html = upload(client, f"企业名称,企业税号\n某公司,{OLD_RULE}\n").get_data(as_text=True)
    assert "已被其他租户绑定 1 行" in html and "校验不通过" not in html
    assert f'href="/requests/move?tax_id={OLD_RULE}">联系售后</a>' in html


def test_a_tax_id_on_record_can_still_be_moved_to_this_tenant(client, admin, held_elsewhere):
    response = client.post("/requests/move", data={"tax_id": OLD_RULE, "reason": "并入本集团"})
    assert response.status_code == 303
    # a tax ID nobody holds is still judged by today's rule
    response = client.post("/requests/move", data={"tax_id": "91320500MA1MYYYY1K", "reason": "x"})
    assert response.status_code == 422 and "校验" in response.get_data(as_text=True)
