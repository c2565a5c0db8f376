"""Tax IDs (企业税号): normalise, then validate.

Accepted: the 18-character unified social credit code (GB 32100-2015) with its check
character, including codes whose first character is a letter; and the legacy 15- and
20-character taxpayer numbers.
"""
import re
import unicodedata

from webapp.services.errors import ServiceError

# GB 32100-2015: 31 characters, without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LEGACY_RE = re.compile(r"^[0-9A-Z]+$")


def normalise(raw: str) -> str:
    """Trim, full-width → half-width, upper case."""
    return unicodedata.normalize("NFKC", raw or "").strip().upper()


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate(raw: str) -> str:
    """The normalised tax ID, or ServiceError saying what is wrong."""
    tax_id = normalise(raw)
    if not tax_id:
        raise ServiceError("请输入企业税号", field="tax_id")
    if len(tax_id) == 18:
        bad = sorted({ch for ch in tax_id if ch not in USCC_ALPHABET})
        if bad:
            raise ServiceError(
                f"企业税号含有不允许的字符：{'、'.join(bad)}（统一社会信用代码不使用 I、O、S、V、Z）",
                field="tax_id")
        expected = check_character(tax_id[:17])
        if tax_id[17] != expected:
            raise ServiceError(f"企业税号校验位错误：第 18 位应为 {expected}", field="tax_id")
        return tax_id
    if len(tax_id) in (15, 20):
        bad = sorted({ch for ch in tax_id if not LEGACY_RE.match(ch)})
        if bad:
            raise ServiceError(f"企业税号含有不允许的字符：{'、'.join(bad)}", field="tax_id")
        return tax_id
    raise ServiceError(
        f"企业税号长度应为 18 位（统一社会信用代码）或 15、20 位（旧税号），当前为 {len(tax_id)} 位",
        field="tax_id")
