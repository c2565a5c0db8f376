"""`flask registry import FILE.csv` and `flask registry demo`, through the CLI runner."""
import pytest
from factories import count
from sqlalchemy import select

from webapp.core import taxid
from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.models.enterprise import RegistryCompany
from webapp.registry import service as registry
from webapp.registry.demo import Faker, org_code


def uscc(n: int) -> str:
    return taxid.compose("91320500", f"{n:08d}")


GOOD_1, GOOD_2, GOOD_3 = uscc(1), uscc(2), uscc(3)
WRONG_CHECK = uscc(4)[:17] + ("0" if uscc(4)[17] != "0" else "1")
MIXED = (
    "企业名称,企业税号,法定代表人,注册资本,成立日期,登记状态,企业类型,注册地址,登记机关,经营范围,备注\n"
    f"苏州华盛科技有限公司,{GOOD_1},王伟,1000万元人民币,2016-03-01,存续,有限责任公司,苏州工业园区,"
    "苏州市市场监督管理局,技术开发,x\n"
    f"错误校验位有限公司,{WRONG_CHECK},,,,,,,,,\n"
    f",{uscc(5)},,,,,,,,,\n"
    "\n"
    f"苏州瑞达电子有限公司,{GOOD_2.lower()},李娜,,2019/7/8,存续,,,,,\n"
    "太短税号有限公司,9132050012345,,,,,,,,,\n"
    f"日期错误有限公司,{uscc(6)},,,明年,,,,,,\n"
    f'"上海汉唐实业有限公司, 上海分公司",{GOOD_3},,,20010203,,,,,"多行\n经营范围",\n'
    f"含有字母I有限公司,9132050000000000I1,,,,,,,,,\n"
)


def refusal(raw: str) -> str:
    """The message the tax ID rules give for `raw` (the same words as the 新增企业 form)."""
    with pytest.raises(ServiceError) as caught:
        taxid.validate(raw)
    return caught.value.message


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, encoding: str = "utf-8", name: str = "registry.csv"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return str(path)
    return write


def run(app, *args):
    return app.test_cli_runner().invoke(args=["registry", *args])


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(app, csv_file):
    result = run(app, "import", csv_file(MIXED))

    assert result.exit_code == 0, result.output
    assert "导入完成：新增 3，更新 0，跳过 5 行错误数据。" in result.stdout
    for line in (f"第 3 行：{refusal(WRONG_CHECK)}（已跳过）",
                 "第 4 行：缺少企业名称（已跳过）",
                 f"第 7 行：{refusal('9132050012345')}（已跳过）",
                 "第 8 行：成立日期格式应为 YYYY-MM-DD，例如 2015-03-02，当前为“明年”（已跳过）",
                 f"第 11 行：{refusal('9132050000000000I1')}（已跳过）"):
        assert line in result.stderr
    assert "请与营业执照上的统一社会信用代码逐位核对" in refusal(WRONG_CHECK) and "13 位" in refusal("9132050012345")
    assert "未识别的列（已忽略）：备注" in result.stderr
    with app.app_context():
        companies = {c.tax_id: c for c in db.session.scalars(select(RegistryCompany))}
        assert set(companies) == {GOOD_1, GOOD_2, GOOD_3}
        assert companies[GOOD_2].established_on == "2019-07-08"
        assert companies[GOOD_3].name == "上海汉唐实业有限公司, 上海分公司"
        assert companies[GOOD_3].established_on == "2001-02-03"
        assert companies[GOOD_3].business_scope == "多行\n经营范围"
        assert registry.suggest("苏州华盛")[0].legal_rep == "王伟"


def test_import_twice_upserts_without_duplicates(app, csv_file):
    run(app, "import", csv_file(MIXED))
    changed = MIXED.replace("王伟,1000万元人民币", "张强,2000万元人民币")
    result = run(app, "import", csv_file(changed, name="again.csv"))

    assert "导入完成：新增 0，更新 3，跳过 5 行错误数据。" in result.stdout
    assert count(app, RegistryCompany) == 3
    with app.app_context():
        company = registry.lookup_tax_id(GOOD_1)
        assert (company.legal_rep, company.registered_capital) == ("张强", "2000万元人民币")
        assert [c.name for c in registry.suggest("华盛科技")] == ["苏州华盛科技有限公司"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_import_reads_bom_utf8_and_gbk_with_english_headers(app, csv_file, encoding):
    text = ("tax_id,name,legal_rep,reg_status\n"
            f"{GOOD_1},杭州西湖龙井茶业有限公司,钱塘,存续\n")
    result = run(app, "import", csv_file(text, encoding=encoding))

    assert result.exit_code == 0, result.output
    assert "新增 1" in result.stdout
    with app.app_context():
        assert registry.lookup_tax_id(GOOD_1).name == "杭州西湖龙井茶业有限公司"
        assert registry.suggest("西湖龙井")[0].legal_rep == "钱塘"


def test_import_without_a_tax_id_column_is_refused_and_stores_nothing(app, csv_file):
    result = run(app, "import", csv_file("企业名称,法定代表人\n苏州华盛科技有限公司,王伟\n"))

    assert result.exit_code == 1
    assert "CSV 表头缺少列：企业税号" in result.output
    assert count(app, RegistryCompany) == 0


def test_import_of_an_undecodable_file_stores_nothing(app, csv_file, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"tax_id,name\n" + f"{GOOD_1},".encode() + b"\x81\xff\xfe\x80\n")
    result = run(app, "import", str(path))

    assert result.exit_code == 1 and "文件编码无法识别" in result.output
    assert count(app, RegistryCompany) == 0


def test_import_of_a_missing_file_fails_cleanly(app):
    result = run(app, "import", "/nonexistent/registry.csv")

    assert result.exit_code == 2 and "does not exist" in result.output


def test_demo_generates_valid_plausible_companies(app):
    result = run(app, "demo", "--count", "1200", "--seed", "7")

    assert result.exit_code == 0, result.output
    assert "已生成 1200 家演示企业；工商库共 1200 家。" in result.stdout
    with app.app_context():
        companies = db.session.scalars(select(RegistryCompany)).all()
        assert len({c.name for c in companies}) == 1200
        for company in companies:
            assert taxid.validate(company.tax_id) == company.tax_id
            assert company.tax_id[:2] == "91" and org_code(company.tax_id[8:16]) == company.tax_id[8:17]
            assert company.name.endswith("公司") and company.legal_rep and company.address
            assert company.authority.endswith("市场监督管理局")
        some = companies[0]
        assert registry.suggest(some.name)[0] == registry.lookup_tax_id(some.tax_id)


def test_generate_demo_service_adds_rows_for_the_demo_seed(app_ctx):
    assert registry.generate_demo(300, seed=1) == 300
    db.session.commit()
    assert db.session.query(RegistryCompany).count() == 300
    assert registry.suggest("苏州")  # a city the generator uses


def test_faker_is_repeatable_with_a_seed():
    assert Faker(3).company() == Faker(3).company()


def test_import_of_an_oversized_cell_says_so_in_chinese(app, csv_file):
    result = run(app, "import", csv_file(f"tax_id,name\n{GOOD_1},\"{'长' * 200_000}\"\n"))
    assert result.exit_code == 1
    assert "有单元格超过 131072 个字符" in result.output and "field limit" not in result.output
    assert count(app, RegistryCompany) == 0
