"""Tax IDs (企业税号): normalise, then validate.

Accepted: the 18-character unified social credit code (GB 32100-2015) with its check
character, including codes whose first character is a letter (registration authorities
A, N, Y…, which python-stdnum's validator rejects because it wants 8 leading digits); and
the legacy 15- and 20-character taxpayer numbers (digits and capital letters).
Every refusal says what is wrong: the length, the first character not allowed, or that the
number does not check out. The last case never names the "right" check character: a typo is
almost never in the 18th position, and inviting people to change it would turn a wrong tax
ID into a wrong but valid-looking one; they are asked to compare it with the 营业执照.
"""
import re
import unicodedata

from webapp.core.errors import ServiceError

# GB 32100-2015: 31 characters, without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LEGACY_LENGTHS = (15, 20)
ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Separators people paste along with a number: spaces (full-width ones become spaces under
# NFKC) and dashes.
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
MAX_INPUT = 64
CHECK_FAILED = ("企业税号校验未通过：这不是一个有效的统一社会信用代码，"
                "请与营业执照上的统一社会信用代码逐位核对后重新输入")


def normalise(raw: str | None) -> str:
    """Trim, full-width → half-width, upper case, and drop spaces and dashes inside."""
    text = unicodedata.normalize("NFKC", (raw or "")[:MAX_INPUT])
    return SEPARATORS.sub("", text).upper()


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}" if not ch.isprintable() else ch


def problem(raw: str | None) -> str | None:
    """What is wrong with a tax ID (a Chinese sentence), or None when it is valid."""
    tax_id = normalise(raw)
    if not tax_id:
        return "请输入企业税号"
    for position, ch in enumerate(tax_id, start=1):
        if ch not in ALNUM:
            return (f"企业税号含有不允许的字符：{_describe(ch)}"
                    f"（第 {position} 位；税号只能由数字和大写字母组成）")
    if len(tax_id) == 18:
        for position, ch in enumerate(tax_id, start=1):
            if ch not in USCC_ALPHABET:
                return (f"企业税号含有不允许的字符：{ch}"
                        f"（第 {position} 位；统一社会信用代码不使用字母 I、O、S、V、Z）")
        if tax_id[17] != check_character(tax_id[:17]):
            return CHECK_FAILED
        return None
    if len(tax_id) in LEGACY_LENGTHS:
        return None
    return (f"企业税号长度应为 18 位（统一社会信用代码）或 15、20 位（旧税号），"
            f"当前为 {len(tax_id)} 位")


def is_valid(raw: str | None) -> bool:
    return problem(raw) is None


def validate(raw: str | None) -> str:
    """The normalised tax ID, or ServiceError(field="tax_id") saying what is wrong."""
    message = problem(raw)
    if message:
        raise ServiceError(message, field="tax_id")
    return normalise(raw)
