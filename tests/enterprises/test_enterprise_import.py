"""批量导入: CSV (UTF-8 with BOM, GBK) → preview of every row → 【确认导入】 in one transaction."""
import io
import re

import pytest
from factories import count, login, tax_id

from webapp.extensions import db
from webapp.models import AuditEntry, Enterprise


@pytest.fixture
def app(make_app):
    return make_app()


def upload(client, text: str, encoding="utf-8-sig", name="enterprises.csv"):
    data = {"file": (io.BytesIO(text.encode(encoding)), name)}
    return client.post("/enterprises/import", data=data, content_type="multipart/form-data")


def token_of(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


def mixed_csv(other_tax: str) -> str:
    return "\n".join([
        "企业名称,企业税号,法定代表人,成立日期,备注",
        f"甲子公司,{tax_id(1)},张三,2016-05-20,忽略",          # line 2: ok
        f"乙子公司,{tax_id(2)[:-1]}X,,,",                      # line 3: bad check character
        f",{tax_id(3)},,,",                                    # line 4: no name
        f"丙子公司,{other_tax},,,",                             # line 5: another tenant's
        f"丁子公司,{tax_id(1).lower()},,,",                     # line 6: repeats line 2
        "",                                                    # blank line: skipped
        f"\"戊子公司\n（多行名称）\",{tax_id(6)},,2015/1/2,",      # lines 8-9: ok, quoted newline
        f"己子公司,{tax_id(7)},,明年,",                          # line 10: bad date
        f"庚子公司,{tax_id(8)},李四,,",                          # line 11: ok
    ]) + "\n"


def test_page_documents_the_columns(client, admin):
    html = client.get("/enterprises/import").get_data(as_text=True)
    for column in ("企业名称", "企业税号", "法定代表人", "注册资本", "成立日期", "登记状态", "企业类型",
                   "注册地址", "登记机关", "经营范围", "UTF-8", "GBK"):
        assert column in html
    assert '<label for="file">CSV 文件</label>' in html


def test_mixed_file_preview_then_confirm_then_again(app, client, admin, make_admin):
    other = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    other_tax = tax_id(50)
    with app.app_context():
        db.session.add(Enterprise(tenant_id=other["tenant_id"], tax_id=other_tax, name="别家的"))
        db.session.commit()

    response = upload(client, mixed_csv(other_tax))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "可导入 <strong>3</strong> 行" in html
    assert "第 3 行" in html and "企业税号校验未通过" in html and "营业执照" in html
    assert "第 4 行" in html and "请输入企业名称" in html
    assert ("企业【%s】在租户【杭州另一集团有限公司】下已有数据，一个企业只能绑定一个租户!如你确认一定要将该企业"
            "绑定在新租户【苏州示例科技有限公司】下，请点击【联系售后】操作。" % other_tax) in html
    assert f'href="/requests/move?tax_id={other_tax}">联系售后</a>' in html
    assert "第 6 行" in html and "与第 2 行的企业税号重复" in html
    assert "第 8 行" in html and "第 10 行" in html and "成立日期格式应为" in html
    assert "已忽略的列：备注" in html
    assert count(app, Enterprise) == 1  # a preview stores nothing

    response = client.post("/enterprises/import/confirm", data={"token": token_of(html)})
    assert response.status_code == 303
    assert "批量导入完成：新增 3 家企业" in client.get("/enterprises/").get_data(as_text=True)
    with app.app_context():
        names = sorted(e.name for e in db.session.query(Enterprise).filter_by(tenant_id=admin["tenant_id"]))
        assert names == ["庚子公司", "戊子公司 （多行名称）", "甲子公司"]
        first = db.session.query(Enterprise).filter_by(tax_id=tax_id(1)).one()
        assert first.legal_rep == "张三" and first.established_on == "2016-05-20"
        assert db.session.query(Enterprise).filter_by(tax_id=tax_id(6)).one().established_on == "2015-01-02"
    assert count(app, AuditEntry, AuditEntry.action == "enterprise.created") == 3

    # the same token again: nothing more
    again = client.post("/enterprises/import/confirm", data={"token": token_of(html)})
    assert again.status_code == 410 and "预览已过期或已导入" in again.get_data(as_text=True)
    # the same file again: those rows are already here, nothing is added twice
    html = upload(client, mixed_csv(other_tax)).get_data(as_text=True)
    assert "可导入 <strong>0</strong> 行" in html and "已在本租户下 3 行" in html
    assert "已在本租户下，跳过" in html and 'name="token"' not in html
    assert count(app, Enterprise) == 4


def test_gbk_file_is_read(app, client, admin):
    html = upload(client, f"企业名称,企业税号\n无锡国标编码有限公司,{tax_id(20)}\n",
                  encoding="gbk").get_data(as_text=True)
    assert "无锡国标编码有限公司" in html and "可导入 <strong>1</strong> 行" in html
    assert client.post("/enterprises/import/confirm", data={"token": token_of(html)}).status_code == 303
    with app.app_context():
        assert db.session.query(Enterprise).one().name == "无锡国标编码有限公司"


def test_confirm_adds_nothing_when_a_tax_id_was_taken_meanwhile(app, client, admin, make_admin):
    html = upload(client, f"企业名称,企业税号\n甲,{tax_id(30)}\n乙,{tax_id(31)}\n").get_data(as_text=True)
    other = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    with app.app_context():
        db.session.add(Enterprise(tenant_id=other["tenant_id"], tax_id=tax_id(31), name="抢先"))
        db.session.commit()
    assert client.post("/enterprises/import/confirm", data={"token": token_of(html)}).status_code == 303
    with app.app_context():  # re-validated at confirm: the taken row is skipped, not forced
        assert {e.tax_id: e.tenant_id for e in db.session.query(Enterprise)} == {
            tax_id(30): admin["tenant_id"], tax_id(31): other["tenant_id"]}


def test_token_of_another_user_or_forged_is_refused(app, client, admin, make_admin):
    html = upload(client, f"企业名称,企业税号\n甲,{tax_id(40)}\n").get_data(as_text=True)
    token = token_of(html)
    other = make_admin(customer="杭州另一集团有限公司", email="other@example.com")
    intruder = app.test_client()
    login(intruder, other["email"])
    assert intruder.post("/enterprises/import/confirm", data={"token": token}).status_code == 410
    for forged in ("../../etc/passwd", "x" * 32, ""):
        assert client.post("/enterprises/import/confirm", data={"token": forged}).status_code == 410
    assert count(app, Enterprise) == 0


@pytest.mark.parametrize("content,message", [
    ("", "文件为空，第 1 行应为列名：企业名称,企业税号"),  # just the BOM
    ("企业,号码\n甲,1\n", "第 1 行缺少列：企业名称、企业税号"),
    ("企业名称,企业税号\n", "文件中没有企业数据"),
    ("企业名称,企业税号\n\x00\x01\x02,\n", "文件不是 CSV 文本文件"),
])
def test_unusable_files_are_refused(app, client, admin, content, message):
    response = upload(client, content)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(app, Enterprise) == 0


def test_undecodable_file_is_refused(app, client, admin):
    data = {"file": (io.BytesIO(b"\xff\xfe\x00\xd8\x00\xdc\xff" * 3), "x.csv")}
    response = client.post("/enterprises/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422


def test_no_file_field_at_all(client, admin):
    response = client.post("/enterprises/import", data={})
    assert response.status_code == 422 and "请选择要上传的 CSV 文件" in response.get_data(as_text=True)


# Kept under 500 KB: above that the test client spools the body to a file it never closes.
def test_an_oversized_cell_is_refused_in_chinese(client, admin):
    response = upload(client, f"企业名称,企业税号\n\"{'x' * 140_000}\",{tax_id(1)}\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 2 行有单元格超过 131072 个字符" in html and "field limit" not in html


def test_a_long_line_without_newline_is_not_called_empty(client, admin):
    response = upload(client, "企业名称" + "x" * 200_000)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "文件为空" not in html and "第 1 行有单元格超过 131072 个字符" in html


def test_preview_lives_in_the_database_so_another_web_worker_confirms_it(make_app, app, client,
                                                                         admin):
    from webapp.models import ImportPreview

    html = upload(client, f"企业名称,企业税号\n甲,{tax_id(50)}\n").get_data(as_text=True)
    token = token_of(html)
    with app.app_context():
        [stored] = db.session.query(ImportPreview).all()
        assert (stored.token, stored.tenant_id, stored.user_id) == (
            token, admin["tenant_id"], admin["user_id"])
    other_host = make_app()  # another process: shares the database, nothing on disk
    elsewhere = other_host.test_client()
    login(elsewhere, admin["email"])
    assert elsewhere.post("/enterprises/import/confirm", data={"token": token}).status_code == 303
    assert count(app, Enterprise) == 1 and count(app, ImportPreview) == 0
    again = client.post("/enterprises/import/confirm", data={"token": token})
    assert again.status_code == 410 and count(app, Enterprise) == 1


def test_an_expired_preview_is_refused_and_purged(app, client, admin):
    from datetime import timedelta

    from webapp.models import ImportPreview
    from webapp.orm import utcnow

    old = token_of(upload(client, f"企业名称,企业税号\n甲,{tax_id(60)}\n").get_data(as_text=True))
    with app.app_context():
        db.session.query(ImportPreview).update(
            {ImportPreview.expires_at: utcnow() - timedelta(seconds=1)})
        db.session.commit()
    response = client.post("/enterprises/import/confirm", data={"token": old})
    assert response.status_code == 410 and "预览已过期或已导入" in response.get_data(as_text=True)
    assert count(app, Enterprise) == 0
    upload(client, f"企业名称,企业税号\n乙,{tax_id(61)}\n")  # the next upload purges expired ones
    with app.app_context():
        assert [p.token for p in db.session.query(ImportPreview)] != [old]
        assert db.session.query(ImportPreview).filter_by(token=old).count() == 0
