"""企业税号 rules: a table of valid and invalid numbers, each with what the user is told,
cross-checked against python-stdnum where its validator applies (8 leading digits)."""
import random

import pytest
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from webapp.core import taxid
from webapp.core.errors import ServiceError

# (what the user typed, the normalised tax ID when valid, else the message shown)
VALID = [
    ("91110000600037341L", "91110000600037341L"),           # python-stdnum's own example
    ("91320500MA1MYYYY0K", "91320500MA1MYYYY0K"),
    ("511100005000007205", "511100005000007205"),           # 民政 registration
    ("  91110000600037341l ", "91110000600037341L"),         # trimmed, upper-cased
    ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),  # full-width digits
    ("9111 0000 6000 3734 1L", "91110000600037341L"),        # pasted with spaces
    ("91110000-600037341L", "91110000600037341L"),
    # letter-first codes (A 中央军委改革和编制办公室, N 农业, Y 其他): stdnum rejects these
    ("Y1440300MA5D111115", "Y1440300MA5D111115"),
    ("N2330100MA7B1C2D34", "N2330100MA7B1C2D34"),
    ("a1100000ma01abcd2k", "A1100000MA01ABCD2K"),
    # legacy taxpayer numbers
    ("110108801234567", "110108801234567"),                  # 15
    ("41010219850101123400", "41010219850101123400"),        # 20
]

CHECK = taxid.CHECK_FAILED

INVALID = [
    ("", "请输入企业税号"),
    ("   ", "请输入企业税号"),
    ("91110000600037341X", CHECK),
    ("91110000600037341", "企业税号长度应为 18 位（统一社会信用代码）或 15、20 位（旧税号），当前为 17 位"),
    ("91110000600037341LL", "企业税号长度应为 18 位（统一社会信用代码）或 15、20 位（旧税号），当前为 19 位"),
    ("1234", "企业税号长度应为 18 位（统一社会信用代码）或 15、20 位（旧税号），当前为 4 位"),
    ("9111000060003734OL", "企业税号含有不允许的字符：O（第 17 位；统一社会信用代码不使用字母 I、O、S、V、Z）"),
    ("I1110000600037341L", "企业税号含有不允许的字符：I（第 1 位；统一社会信用代码不使用字母 I、O、S、V、Z）"),
    ("Y1440300MA5D111114", CHECK),
    ("91110000中00037341L", "企业税号含有不允许的字符：中（第 9 位；税号只能由数字和大写字母组成）"),
    ("9111<script>", "企业税号含有不允许的字符：<（第 5 位；税号只能由数字和大写字母组成）"),
    ("91110000600037341\x00", "企业税号含有不允许的字符：U+0000（第 18 位；税号只能由数字和大写字母组成）"),
    ("32050219800101123X", CHECK)  # an ID card number,
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


# python-stdnum's validator applies to 18-character codes with 8 leading digits.
IN_STDNUM_DOMAIN = [raw for raw, _ in VALID + INVALID
                    if len(taxid.normalise(raw)) == 18 and taxid.normalise(raw)[:8].isdigit()]


@pytest.mark.parametrize("raw", IN_STDNUM_DOMAIN)
def test_agrees_with_python_stdnum_where_it_applies(raw):
    tax_id = taxid.normalise(raw)
    assert taxid.is_valid(tax_id) == uscc.is_valid(tax_id)
    if all(ch in taxid.USCC_ALPHABET for ch in tax_id):
        assert taxid.check_character(tax_id[:17]) == uscc.calc_check_digit(tax_id[:17])


def test_check_character_matches_stdnum_on_random_codes():
    rng = random.Random(3)
    for _ in range(2000):
        body = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(
            rng.choice(taxid.USCC_ALPHABET) for _ in range(9))
        code = body + taxid.check_character(body)
        assert uscc.validate(code) == code
        assert taxid.validate(code) == code
        wrong = body + next(ch for ch in taxid.USCC_ALPHABET if ch != code[-1])
        with pytest.raises(ValidationError):
            uscc.validate(wrong)
        assert taxid.problem(wrong) == CHECK


def test_letter_first_codes_that_stdnum_rejects_are_accepted():
    rng = random.Random(7)
    for first in "ANY":
        body = first + "".join(rng.choice(taxid.USCC_ALPHABET) for _ in range(16))
        code = body + taxid.check_character(body)
        assert not uscc.is_valid(code)  # stdnum wants 8 leading digits
        assert taxid.validate(code) == code


def test_a_wrong_check_character_asks_to_compare_with_the_licence_and_names_no_character():
    """Naming the "right" 18th character invites turning a typo elsewhere into a wrong but
    valid-looking tax ID."""
    message = taxid.problem("91110000600037341X")
    assert "营业执照" in message and "核对" in message
    assert "应为" not in message and "第 18 位" not in message and "L" not in message
