"""企业税号 rules: a table of valid and invalid numbers, each with what the user is told,
cross-checked against python-stdnum where its validator applies (8 leading digits), and the
reading of an 18-character code part by part (GB 32100, GB/T 2260, GB 11714)."""
import random
from pathlib import Path

import pytest
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from webapp.core import taxid
from webapp.core.errors import ServiceError

REAL_CODES = [line.strip() for line in
              (Path(__file__).parent / "data" / "uscc_real_codes.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
PILOT_CODES = ["91350100M0001TGQXM", "91350211M0000XUF46", "91350203M0001FUE2P",
               "91350203M0001QKT19"]

# (what the user typed, the normalised tax ID when valid, else the message shown)
VALID = [
    ("91110000600037341L", "91110000600037341L"),           # python-stdnum's own example
    ("91320500MA1MYYYY1N", "91320500MA1MYYYY1N"),
    ("51110000500000728X", "51110000500000728X"),           # 民政 registration
    ("  91110000600037341l ", "91110000600037341L"),         # trimmed, upper-cased
    ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),  # full-width digits
    ("9111 0000 6000 3734 1L", "91110000600037341L"),        # pasted with spaces
    ("91110000-600037341L", "91110000600037341L"),
    # letter-first codes (A 中央军委改革和编制办公室, N 农业, Y 其他): stdnum rejects these
    ("Y1440300MA5D111102", "Y1440300MA5D111102"),
    ("N2330100MA7B1C2D7G", "N2330100MA7B1C2D7G"),
    ("a1100000ma01abcd5w", "A1100000MA01ABCD5W"),
    # legacy taxpayer numbers
    ("110108801234567", "110108801234567"),                  # 15
    ("41010219850101123400", "41010219850101123400"),        # 20
]

LENGTH = "企业税号长度应为 18 位（统一社会信用代码）或 15、20 位（旧税号），当前为 {} 位"
INVALID = [
    ("", "请输入企业税号"),
    ("   ", "请输入企业税号"),
    ("91110000600037341X", taxid.CHECK_FAILED),
    ("91110000600037341", LENGTH.format(17)),
    ("91110000600037341LL", LENGTH.format(19)),
    ("1234", LENGTH.format(4)),
    ("9111000060003734OL", "企业税号含有不允许的字符：O（第 17 位；统一社会信用代码不使用字母 I、O、S、V、Z）"),
    ("I1110000600037341L", "企业税号含有不允许的字符：I（第 1 位；统一社会信用代码不使用字母 I、O、S、V、Z）"),
    ("Y1440300MA5D111103", taxid.CHECK_FAILED),
    ("91110000中00037341L", "企业税号含有不允许的字符：中（第 9 位；税号只能由数字和大写字母组成）"),
    ("9111<script>", "企业税号含有不允许的字符：<（第 5 位；税号只能由数字和大写字母组成）"),
    ("91110000600037341\x00", "企业税号含有不允许的字符：U+0000（第 18 位；税号只能由数字和大写字母组成）"),
    # an ID card number: its "organisation code" fails GB 11714
    ("32050219800101123X", "企业税号第 9–17 位（组织机构代码 80010112-3）校验不通过，可能有字符输错："
                           "请与营业执照上的统一社会信用代码逐位核对第 9–17 位"),
    # valid 18th character, wrong embedded check (the old sample of the import page)
    ("91320500MA1MYYYY0K", "企业税号第 9–17 位（组织机构代码 MA1MYYYY-0）校验不通过，可能有字符输错："
                           "请与营业执照上的统一社会信用代码逐位核对第 9–17 位"),
    (taxid.compose("94320500", "MA1MYYYY"),
     "企业税号第 1–2 位 9-4 不是有效的登记管理部门/机构类别：第 1 位 9 表示“工商”，"
     "第 2 位只能是 1 企业、2 个体工商户、3 农民专业合作社、9 其他"),
    (taxid.compose("X1320500", "MA1MYYYY"),
     "企业税号第 1–2 位 X-1 不是有效的登记管理部门/机构类别：第 1 位应为登记管理部门代码 1–9、A、N 或 Y"),
    (taxid.compose("913205AB", "MA1MYYYY"),
     "企业税号第 3–8 位 3205AB 应为 6 位数字（登记管理机关的行政区划代码）"),
]


@pytest.mark.parametrize("raw,expected", VALID)
def test_valid_tax_ids_are_normalised(raw, expected):
    assert taxid.problem(raw) is None
    assert taxid.validate(raw) == expected


@pytest.mark.parametrize("raw,message", INVALID)
def test_invalid_tax_ids_say_what_is_wrong(raw, message):
    with pytest.raises(ServiceError) as caught:
        taxid.validate(raw)
    assert caught.value.message == message
    assert caught.value.field == "tax_id"


# python-stdnum's validator applies to 18-character codes with 8 leading digits; it checks
# only the 18th character, so what we accept it accepts, not the other way round.
IN_STDNUM_DOMAIN = [raw for raw, _ in VALID + INVALID
                    if len(taxid.normalise(raw)) == 18 and taxid.normalise(raw)[:8].isdigit()]


@pytest.mark.parametrize("raw", IN_STDNUM_DOMAIN)
def test_agrees_with_python_stdnum_where_it_applies(raw):
    tax_id = taxid.normalise(raw)
    if taxid.is_valid(tax_id):
        assert uscc.is_valid(tax_id)
    if all(ch in taxid.USCC_ALPHABET for ch in tax_id):
        assert taxid.check_character(tax_id[:17]) == uscc.calc_check_digit(tax_id[:17])
        if tax_id[17] != taxid.check_character(tax_id[:17]):
            assert not taxid.is_valid(tax_id)


def _random_code(rng: random.Random, head: str = "91320500") -> str:
    body = "".join(rng.choice(taxid.USCC_ALPHABET) for _ in range(8))
    return taxid.compose(head, body)


def test_check_character_matches_stdnum_on_random_codes():
    rng = random.Random(3)
    for _ in range(2000):
        code = _random_code(rng, rng.choice(["91320500", "92440300", "12110000", "51310000"]))
        assert uscc.validate(code) == code
        assert taxid.validate(code) == code
        wrong = code[:17] + next(ch for ch in taxid.USCC_ALPHABET if ch != code[-1])
        with pytest.raises(ValidationError):
            uscc.validate(wrong)
        assert taxid.problem(wrong) == taxid.CHECK_FAILED


def test_letter_first_codes_that_stdnum_rejects_are_accepted():
    rng = random.Random(7)
    for head in ("A1110000", "A9320500", "N1330100", "N9440300", "Y1110000"):
        code = _random_code(rng, head)
        assert not uscc.is_valid(code)  # stdnum wants 8 leading digits
        assert taxid.validate(code) == code


def test_the_org_check_follows_gb_11714_letter_values():
    # A = 10 … Z = 35 (not the USCC alphabet's order): 91310115MA1K3BTP2B is a real code whose
    # organisation code MA1K3BTP-2 holds letters after H.
    assert taxid.org_check_character("MA1K3BTP") == "2"
    assert taxid.org_check_character("60003734") == "1"


# --- the reading ---

def test_every_real_code_published_by_python_stdnum_passes():
    assert len(REAL_CODES) == 200
    for code in REAL_CODES:
        reading = taxid.read(code)
        assert reading.problem is None, (code, reading.problem)
        assert reading.kind == taxid.USCC and reading.notes == ()
        assert reading.summary.count(" · ") == 2 and "未知" not in reading.summary


def test_real_codes_read_aloud():
    assert taxid.read("91310115MA1K3BTP2B").summary == "工商 · 企业 · 上海市浦东新区"
    assert taxid.read("92340621MA2UK3C369").summary == "工商 · 个体工商户 · 安徽省淮北市濉溪县"
    assert taxid.read("121200004013590816").summary == "机构编制 · 事业单位 · 天津市"
    assert taxid.read(taxid.compose("91320500", "MA1MYYYY")).summary == "工商 · 企业 · 江苏省苏州市"


def _refit(first17: str) -> str:
    """A made-up code: the 18th character computed to fit whatever positions 1–17 hold."""
    return first17 + taxid.check_character(first17)


def test_made_up_codes_with_a_valid_18th_character_but_a_wrong_embedded_check_are_refused():
    rng = random.Random(11)
    for code in REAL_CODES + [_random_code(rng) for _ in range(300)]:
        wrong = rng.choice([ch for ch in "0123456789X" if ch != code[16]])
        made_up = _refit(code[:16] + wrong)
        assert made_up[:8].isdigit() and uscc.is_valid(made_up)  # stdnum lets it through
        assert taxid.problem(made_up) == (
            f"企业税号第 9–17 位（组织机构代码 {code[8:16]}-{wrong}）校验不通过，可能有字符输错："
            "请与营业执照上的统一社会信用代码逐位核对第 9–17 位")


def test_a_typo_in_positions_9_to_16_is_caught_even_when_the_18th_character_fits():
    rng = random.Random(13)
    caught = blind = 0
    for code in REAL_CODES * 5:
        position = rng.randrange(8, 16)
        typo = rng.choice([ch for ch in taxid.USCC_ALPHABET if ch != code[position]])
        made_up = _refit(code[:position] + typo + code[position + 1:17])
        difference = taxid.ORG_VALUES.index(typo) - taxid.ORG_VALUES.index(code[position])
        if difference % 11 == 0:  # GB 11714's blind spot: a check modulo 11
            assert taxid.is_valid(made_up)
            blind += 1
        else:
            assert taxid.problem(made_up).startswith("企业税号第 9–17 位（组织机构代码 ")
            caught += 1
    assert caught > 10 * blind


@pytest.mark.parametrize("code", PILOT_CODES)
def test_the_fujian_pilot_codes_are_accepted_with_a_note(code):
    assert not uscc.is_valid(code)  # their 18th character fails GB 32100
    reading = taxid.read(code)
    assert reading.valid and taxid.validate(code) == code
    assert reading.summary.startswith("工商 · 企业 · 福建省")
    assert reading.notes == (taxid.PILOT_NOTE,)
    # another code that fails only the 18th character is not one of them
    other = code[:17] + next(ch for ch in "0123456789" if ch != code[17])
    assert taxid.problem(other) == taxid.CHECK_FAILED


def test_each_published_pair_is_accepted_and_every_other_pair_refused():
    accepted = []
    for first in taxid.USCC_ALPHABET:
        for second in taxid.USCC_ALPHABET:
            code = taxid.compose(f"{first}{second}110000", "60003734")
            if taxid.is_valid(code):
                accepted.append(first + second)
            else:
                assert taxid.problem(code).startswith(
                    f"企业税号第 1–2 位 {first}-{second} 不是有效的登记管理部门/机构类别：")
    assert len(accepted) == 37  # the 36 published pairs and 9-9 (see DEPARTMENTS)
    assert {"11", "12", "13", "19", "21", "31", "35", "51", "52", "53", "62", "81", "91", "92",
            "93", "99", "A1", "A9", "N1", "N3", "Y1"} <= set(accepted)
    assert not {"14", "94", "Y9", "A2", "N4", "01", "B1"} & set(accepted)


def test_a_retired_region_is_accepted_and_shows_adjusted():
    reading = taxid.read(taxid.compose("91320584", "MA1MYYYY"))  # 吴江市, a district since 2012
    assert reading.valid
    assert reading.region == "江苏省苏州市吴江市（已调整）"
    assert reading.summary == "工商 · 企业 · 江苏省苏州市吴江市（已调整）"
    assert reading.notes == ("第 3–8 位 320584 是已调整的行政区划代码（使用至 2012 年），按登记时的地区解读",)


def test_an_unknown_region_is_accepted_with_a_note():
    park = taxid.read(taxid.compose("91320594", "MA1MYYYY"))  # 苏州工业园区's own code
    assert park.valid and park.summary == "工商 · 企业 · 江苏省苏州市（地区代码未知）"
    assert park.notes[0].startswith("地区代码未知：第 3–8 位 320594 不在所附的 GB/T 2260")
    nowhere = taxid.read(taxid.compose("91990000", "MA1MYYYY"))
    assert nowhere.valid and nowhere.region == "地区代码未知"
    national = taxid.read(taxid.compose("51100000", "50000072"))
    assert national.summary == "民政 · 社会团体 · 国家级" and national.notes == ()


def test_legacy_numbers_keep_their_rules_and_say_nothing_more():
    for number in ("110108801234567", "41010219850101123400", "ABCDEFGHIJKLMNO"):
        reading = taxid.read(number)
        assert reading.valid and reading.kind == taxid.LEGACY and reading.summary == ""
        assert reading.notes == (f"旧税号（{len(number)} 位纳税人识别号），不含登记管理部门、机构类别和地区信息",)


# --- the registry's 企业类型 against positions 1–2 ---

SOLE_TRADER = taxid.compose("92320500", "MA1MYYYY")
COMPANY = taxid.compose("91320500", "MA1MYYYY")
COOPERATIVE = taxid.compose("93320500", "MA1MYYYY")
NON_PROFIT = taxid.compose("52320500", "MA1MYYYY")


@pytest.mark.parametrize("code,company_type,flagged", [
    (SOLE_TRADER, "有限责任公司(自然人投资或控股)", True),
    (SOLE_TRADER, "个体工商户", False),
    (SOLE_TRADER, "", False),
    (COMPANY, "有限责任公司(自然人投资或控股)", False),
    (COMPANY, "个人独资企业", False),
    (COMPANY, "普通合伙企业", False),
    (COMPANY, "个体工商户", True),
    (COMPANY, "农民专业合作社", True),
    (COMPANY, "外国(地区)企业常驻代表机构", False),  # not a word we classify
    (COOPERATIVE, "农民专业合作社", False),
    (COOPERATIVE, "股份有限公司(非上市)", True),
    (NON_PROFIT, "民办非企业单位", False),
    (NON_PROFIT, "有限责任公司", True),
    (taxid.compose("99320500", "MA1MYYYY"), "个体工商户", False),  # 工商 · 其他 claims nothing
    ("110108801234567", "个体工商户", False),  # a legacy number says nothing
])
def test_category_mismatch(code, company_type, flagged):
    message = taxid.category_mismatch(taxid.read(code), company_type)
    assert (message is not None) == flagged
    if flagged:
        assert message.startswith(f"企业类型与税号不符：企业类型为“{company_type}”")


def test_category_mismatch_names_both_sides():
    assert taxid.category_mismatch(taxid.read(SOLE_TRADER), "有限责任公司(自然人投资或控股)") == (
        "企业类型与税号不符：企业类型为“有限责任公司(自然人投资或控股)”（公司或其他企业），"
        "而税号第 1–2 位 9-2 表示“工商 · 个体工商户”。请核对企业税号和企业类型。")


def test_a_wrong_check_character_asks_to_compare_with_the_licence_and_names_no_character():
    """Naming the "right" 18th character invites turning a typo elsewhere into a wrong but
    valid-looking tax ID."""
    message = taxid.problem("91110000600037341X")
    assert "营业执照" in message and "核对" in message
    assert "应为" not in message and "第 18 位" not in message and "L" not in message
