"""The 工商 fields are one list: what the registry takes, autofill puts in the 新增企业 form,
and 【保存】 accepts; the form, 批量导入 and `registry import` refuse the same lengths."""
import io
import re

import pytest
from factories import form_values, login, tax_id
from sqlalchemy import Text, inspect

from webapp.core.business_fields import DATE_FORMAT, DATE_FUTURE, DATE_MISSING, clean_date
from webapp.extensions import db
from webapp.models import Enterprise, RegistryCompany
from webapp.models.business_fields import FIELD, FIELDS


def registry_import(app, tmp_path, text: str):
    path = tmp_path / "registry.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["registry", "import", str(path)])


def test_a_registry_company_with_a_long_business_scope_autofills_and_saves(
        app, client, make_admin, tmp_path):
    """A 2,500-character 经营范围 is taken by `registry import`; picking the company fills the
    form, and 【保存】 must then store it (it answered 422: the form capped 经营范围 at 2000)."""
    scope = ("技术开发、技术咨询、技术服务；" * 167)[:2499] + "。"
    assert len(scope) == 2500
    company = tax_id(41)
    result = registry_import(app, tmp_path, "企业名称,企业税号,法定代表人,经营范围\n"
                                            f"苏州长范围科技有限公司,{company},周全,{scope}\n")
    assert "导入完成：新增 1" in result.stdout, result.output
    login(client, make_admin()["email"])

    html = client.get(f"/enterprises/new?pick={company}").get_data(as_text=True)
    values = form_values(html)
    assert values["business_scope"] == scope and values["source"] == "registry"
    response = client.post("/enterprises/new", data={**values, "submit": "保存"})

    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        saved = db.session.query(Enterprise).one()
        assert (saved.name, saved.business_scope, saved.source) == (
            "苏州长范围科技有限公司", scope, "registry")


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(ENTERPRISE_IMPORT_DIR=str(tmp_path / "imports"))


def preview_rows(html: str) -> dict[int, str]:
    """{line: status} of the 批量导入 preview table."""
    return {int(line): status
            for status, line in re.findall(r'<tr class="row-(\w+)">\s*<td>第 (\d+) 行', html)}


def bulk_preview(client, text: str) -> str:
    data = {"file": (io.BytesIO(text.encode("utf-8-sig")), "enterprises.csv")}
    response = client.post("/enterprises/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


TEXT_FIELDS = [f for f in FIELDS if f.name not in ("tax_id", "established_on")]


@pytest.mark.parametrize("field", TEXT_FIELDS, ids=[f.name for f in TEXT_FIELDS])
def test_form_bulk_import_and_registry_import_take_the_same_lengths(
        app, client, admin, tmp_path, field):
    """At the limit every path takes the value; one character more and every path refuses it
    with the same words."""
    at_limit, over = "字" * field.max_length, "字" * (field.max_length + 1)
    refusal = f"{field.label}不能超过 {field.max_length} 个字符（当前 {field.max_length + 1} 个）"

    def row(n: int, value: str) -> dict:
        return {"name": "长度测试有限公司", "tax_id": tax_id(n), field.name: value}

    def csv_text(*rows: dict) -> str:
        columns = ["name", "tax_id", *([field.name] if field.name != "name" else [])]
        lines = [",".join(FIELD[c].label for c in columns)]
        lines += [",".join(r[c] for c in columns) for r in rows]
        return "\n".join(lines) + "\n"

    refused = client.post("/enterprises/new", data=row(1, over))
    assert refused.status_code == 422 and refusal in refused.get_data(as_text=True)
    assert client.post("/enterprises/new", data=row(2, at_limit)).status_code == 303

    html = bulk_preview(client, csv_text(row(3, at_limit), row(4, over)))
    assert preview_rows(html) == {2: "ok", 3: "error"} and refusal in html

    result = registry_import(app, tmp_path, csv_text(row(5, at_limit), row(6, over)))
    assert "导入完成：新增 1，更新 0，跳过 1 行错误数据。" in result.stdout, result.output
    assert f"第 3 行：{refusal}（已跳过）" in result.stderr
    with app.app_context():
        saved = db.session.query(Enterprise).one()
        assert getattr(saved, field.name) == at_limit
        stored = db.session.query(RegistryCompany).one()
        assert (stored.tax_id, getattr(stored, field.name)) == (tax_id(5), at_limit)


def test_the_migrated_columns_have_the_field_list_sizes(app_ctx):
    """The field list sizes the models; the migrations must give the database the same sizes."""
    for table in ("enterprise", "registry_company"):
        columns = {c["name"]: c["type"] for c in inspect(db.engine).get_columns(table)}
        for field in FIELDS:
            kind = columns[field.name]
            if field.multiline:  # TEXT, capped by the rules
                assert isinstance(kind, Text), (table, field.name, kind)
            else:
                assert not isinstance(kind, Text) and kind.length == field.max_length, (
                    table, field.name, kind)


@pytest.mark.parametrize("written,stored", [
    ("2016-05-20", "2016-05-20"), ("2016/5/20", "2016-05-20"), ("2016.05.20", "2016-05-20"),
    ("2016年5月20日", "2016-05-20"), ("20160520", "2016-05-20"),
    ("２０１６－０５－２０", "2016-05-20"), ("2016-05-20T00:00:00+08:00", "2016-05-20"),
    ("2016-05-20 00:00:00", "2016-05-20"),
    ("去年", DATE_FORMAT), ("2016-05-20xyz", DATE_FORMAT), ("2016-5", DATE_FORMAT),
    ("2015-02-30", DATE_MISSING), ("2015-13-01", DATE_MISSING), ("2999-01-01", DATE_FUTURE),
])
def test_one_date_rule(written, stored):
    value, problem = clean_date(written)
    assert (problem if value is None else value) == stored


def test_form_bulk_import_and_registry_import_read_dates_alike(app, client, admin, tmp_path):
    """`registry import` used to store 2015-02-30 and dates after today, which the form then
    refused; now all three take and refuse the same 成立日期."""
    dates = ["２０１６年５月２０日", "2015-02-30", "2999-01-01"]
    verdicts = []
    for n, written in enumerate(dates):
        response = client.post("/enterprises/new", data={
            "name": "日期测试有限公司", "tax_id": tax_id(10 + n), "established_on": written})
        verdicts.append(response.status_code)
    assert verdicts == [303, 422, 422]

    rows = "".join(f"日期测试有限公司,{tax_id(20 + n)},{d}\n" for n, d in enumerate(dates))
    html = bulk_preview(client, "企业名称,企业税号,成立日期\n" + rows)
    assert preview_rows(html) == {2: "ok", 3: "error", 4: "error"}
    assert DATE_MISSING in html and DATE_FUTURE in html

    result = registry_import(app, tmp_path, "企业名称,企业税号,成立日期\n" + rows)
    assert "导入完成：新增 1，更新 0，跳过 2 行错误数据。" in result.stdout, result.output
    assert f"第 3 行：{DATE_MISSING}，当前为“2015-02-30”（已跳过）" in result.stderr
    assert f"第 4 行：{DATE_FUTURE}，当前为“2999-01-01”（已跳过）" in result.stderr
    with app.app_context():
        assert db.session.query(Enterprise).one().established_on == "2016-05-20"
        assert db.session.query(RegistryCompany).one().established_on == "2016-05-20"


def test_bulk_import_reads_the_header_names_registry_import_reads(app, client, admin):
    """One list of CSV header names: a file with 公司名称 / 统一社会信用代码 / 地址 columns
    (as `registry import` takes them) is read by 批量导入 too."""
    html = bulk_preview(client, "公司名称,统一社会信用代码,法人,地址,备注\n"
                                f"别名测试有限公司,{tax_id(30)},赵六,苏州市 星湖街 1 号,x\n")
    assert preview_rows(html) == {2: "ok"} and "已忽略的列：备注" in html
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/enterprises/import/confirm", data={"token": token}).status_code == 303
    with app.app_context():
        saved = db.session.query(Enterprise).one()
        assert (saved.name, saved.tax_id, saved.legal_rep, saved.address) == (
            "别名测试有限公司", tax_id(30), "赵六", "苏州市 星湖街 1 号")
