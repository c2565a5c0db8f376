"""Tax IDs (企业税号): normalise, validate, and read aloud what a code says.

Accepted: the 18-character unified social credit code (GB 32100-2015), including codes whose
first character is a letter (registration authorities A, N, Y, which python-stdnum's validator
rejects because it wants 8 leading digits); and the legacy 15- and 20-character taxpayer numbers
(digits and capital letters), which say nothing more and keep only those rules.

An 18-character code is read part by part, and each part can refuse it:
- positions 1–2: 登记管理部门 × 机构类别, one of the pairs in DEPARTMENTS;
- positions 3–8: the registering authority's region (GB/T 2260, core/gb2260.py): six digits;
  a retired code is read as such (（已调整）), an unknown one is accepted with a note, because
  the list lags behind new codes and development zones (320594 苏州工业园区) use codes of their
  own; the 18th character already catches any single mistyped character there;
- positions 9–17: the organisation code with its own GB 11714 check character;
- position 18: the GB 32100 check character, except for the known pilot codes (PILOT_CODES).
Every refusal says what is wrong and at which positions. `read` is the one rule; `problem`,
`is_valid` and `validate` are views of it.
A check character that does not match is refused as not checking out, with the advice to
compare the number with the 营业执照; the message never names the character that "should" be
there (a typo is almost never in that position, and naming it turns a wrong tax ID into a wrong
but valid-looking one).
"""
import re
import unicodedata
from dataclasses import dataclass, replace

from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.core import gb2260
from webapp.core.i18n import N_
from webapp.core.errors import ServiceError

# GB 32100-2015: 31 characters, without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997: the value of a character is its index here (A = 10 … Z = 35), which differs
# from its index in USCC_ALPHABET for every letter after H.
ORG_VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
LEGACY_LENGTHS = (15, 20)
ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Separators people paste along with a number: spaces (full-width ones become spaces under
# NFKC) and dashes.
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
REGION_DIGITS = re.compile(r"[0-9]{6}")  # positions 3–8: the registering authority's region
MAX_INPUT = 64
USCC, LEGACY = "uscc", "legacy"

# Position 1 (登记管理部门) → its name and its position-2 codes (机构类别). The table published
# with GB 32100-2015 and cited alike by the public descriptions of the code (36 pairs), plus 9-9
# 工商 · 其他, which one implementation lists (wenerme/go-gb gb32100): where sources disagree the
# union is accepted. An older draft numbering (3 教育, 4 公安, B–G …) is not used: no issued code
# follows it and its meanings contradict this table.
DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": (N_("机构编制"), {"1": N_("机关"), "2": N_("事业单位"), "3": N_("中央编办直接管理机构编制的群众团体"),
                   "9": N_("其他")}),
    "2": (N_("外交"), {"1": N_("外国常驻新闻机构"), "9": N_("其他")}),
    "3": (N_("司法行政"), {"1": N_("律师执业机构"), "2": N_("公证处"), "3": N_("基层法律服务所"),
                         "4": N_("司法鉴定机构"), "5": N_("仲裁委员会"), "9": N_("其他")}),
    "4": (N_("文化"), {"1": N_("外国在华文化中心"), "9": N_("其他")}),
    "5": (N_("民政"), {"1": N_("社会团体"), "2": N_("民办非企业单位"), "3": N_("基金会"), "9": N_("其他")}),
    "6": (N_("旅游"), {"1": N_("外国旅游部门常驻代表机构"), "2": N_("港澳台地区旅游部门常驻内地（大陆）代表机构"),
                 "9": N_("其他")}),
    "7": (N_("宗教"), {"1": N_("宗教活动场所"), "2": N_("宗教院校"), "9": N_("其他")}),
    "8": (N_("工会"), {"1": N_("基层工会"), "9": N_("其他")}),
    "9": (N_("工商"), {"1": N_("企业"), "2": N_("个体工商户"), "3": N_("农民专业合作社"), "9": N_("其他")}),
    "A": (N_("中央军委改革和编制办公室"), {"1": N_("军队事业单位"), "9": N_("其他")}),
    "N": (N_("农业"), {"1": N_("组级集体经济组织"), "2": N_("村级集体经济组织"), "3": N_("乡镇级集体经济组织"),
                 "9": N_("其他")}),
    "Y": (N_("其他"), {"1": N_("其他")}),
}
# Real codes from Fujian's pilot, issued before GB 32100 settled: their 18th character does not
# follow it, their embedded organisation code does.
PILOT_CODES = frozenset({"91350100M0001TGQXM", "91350211M0000XUF46", "91350203M0001FUE2P",
                         "91350203M0001QKT19"})
# In the seed's words (N_: marked for the catalogues), translated where used.
PILOT_NOTE = N_("第 18 位不符合 GB 32100 的校验规则，但这是福建省试点时期发放的已知真实代码"
                "（第 9–17 位校验通过），按例外接受")
CHECK_FAILED = N_("企业税号校验未通过：这不是一个有效的统一社会信用代码，"
                  "请与营业执照上的统一社会信用代码逐位核对后重新输入")


def normalise(raw: str | None) -> str:
    """Trim, full-width → half-width, upper case, and drop spaces and dashes inside."""
    text = unicodedata.normalize("NFKC", (raw or "")[:MAX_INPUT])
    return SEPARATORS.sub("", text).upper()


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_check_character(body8: str) -> str:
    """The GB 11714 check character of an organisation code's first 8 characters."""
    total = sum(ORG_VALUES.index(ch) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def compose(head: str, body: str) -> str:
    """A complete code from positions 1–8 and the 8 characters of positions 9–16, with both
    check characters computed (demo data and tests)."""
    first17 = head + body + org_check_character(body)
    return first17 + check_character(first17)


@dataclass(frozen=True)
class TaxIdReading:
    """What a tax ID says, or what is wrong with it (`problem`)."""
    tax_id: str  # normalised
    kind: str | None = None  # USCC, LEGACY, or None when neither
    problem: str | None = None
    department: str = ""  # 登记管理部门 (position 1)
    category: str = ""  # 机构类别 (position 2)
    place: gb2260.Place | None = None  # positions 3–8
    notes: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def complete(self) -> bool:
        """As long as a tax ID is (18, 15 or 20 characters): worth reading while typing."""
        return len(self.tax_id) == 18 or len(self.tax_id) in LEGACY_LENGTHS

    @property
    def region(self) -> str:
        """The registering authority's region, marked when retired or unknown."""
        if self.place is None:
            return ""
        if self.place.status == "retired":
            return _("%(name)s（已调整）", name=self.place.name)
        if self.place.status == "unknown":
            return (_("%(name)s（地区代码未知）", name=self.place.name) if self.place.name
                    else _("地区代码未知"))
        return self.place.name

    @property
    def summary(self) -> str:
        """工商 · 企业 · 江苏省苏州市 for a valid code; empty otherwise."""
        if not self.valid or self.kind != USCC:
            return ""
        return " · ".join((gettext(self.department), gettext(self.category), self.region))


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}" if not ch.isprintable() else ch


def _pair_problem(dept: str, cat: str) -> str:
    head = _("企业税号第 1–2 位 %(dept)s-%(cat)s 不是有效的登记管理部门/机构类别", dept=dept,
             cat=cat)
    if dept not in DEPARTMENTS:
        return _("%(head)s：第 1 位应为登记管理部门代码 1–9、A、N 或 Y", head=head)
    name, categories = DEPARTMENTS[dept]
    allowed = _("、").join(f"{code} {gettext(label)}" for code, label in categories.items())
    return _("%(head)s：第 1 位 %(dept)s 表示“%(name)s”，"
             "第 2 位只能是 %(allowed)s",
             head=head, dept=dept, name=gettext(name), allowed=allowed)


def _read_uscc(tax_id: str) -> TaxIdReading:
    for position, ch in enumerate(tax_id, start=1):
        if ch not in USCC_ALPHABET:
            return TaxIdReading(tax_id, USCC, _("企业税号含有不允许的字符：%(ch)s（第 %(position)s 位；"
                                                "统一社会信用代码不使用字母 I、O、S、V、Z）",
                                                ch=ch, position=position))
    department, categories = DEPARTMENTS.get(tax_id[0], ("", {}))
    if tax_id[1] not in categories:
        return TaxIdReading(tax_id, USCC, _pair_problem(tax_id[0], tax_id[1]))
    region = tax_id[2:8]
    if not REGION_DIGITS.fullmatch(region):
        return TaxIdReading(tax_id, USCC, _("企业税号第 3–8 位 %(region)s 应为 6 位数字"
                                            "（登记管理机关的行政区划代码）", region=region))
    place = gb2260.place(region)
    reading = TaxIdReading(tax_id, USCC, None, department, categories[tax_id[1]], place)
    org = tax_id[8:17]
    expected = org_check_character(org[:8])
    if org[8] != expected:
        return replace(reading, problem=(
            _("企业税号第 9–17 位（组织机构代码 %(org)s-%(org2)s）校验不通过，"
              "可能有字符输错：请与营业执照上的统一社会信用代码逐位核对第 9–17 位",
              org=org[:8], org2=org[8])))
    notes = []
    expected = check_character(tax_id[:17])
    if tax_id[17] != expected:
        if tax_id not in PILOT_CODES:
            return replace(reading, problem=gettext(CHECK_FAILED))
        notes.append(gettext(PILOT_NOTE))
    if place.status == "retired":
        notes.append(_("第 3–8 位 %(region)s 是已调整的行政区划代码（使用至 %(until)s 年），"
                       "按登记时的地区解读",
                       region=region, until=place.until))
    elif place.status == "unknown":
        notes.append(_("地区代码未知：第 3–8 位 %(region)s 不在所附的 GB/T 2260 行政区划代码表中"
                       "（开发区等登记机关的代码和最新的调整可能尚未收录），因此只作提示，不拒绝",
                       region=region))
    return replace(reading, notes=tuple(notes))


def read(raw: str | None) -> TaxIdReading:
    """Normalise a tax ID and read it: its parts, notes, or the problem (a Chinese sentence)."""
    tax_id = normalise(raw)
    if not tax_id:
        return TaxIdReading(tax_id, problem=_("请输入企业税号"))
    for position, ch in enumerate(tax_id, start=1):
        if ch not in ALNUM:
            return TaxIdReading(tax_id, problem=(
                _("企业税号含有不允许的字符：%(describe)s（第 %(position)s 位；"
                  "税号只能由数字和大写字母组成）",
                  describe=_describe(ch), position=position)))
    if len(tax_id) == 18:
        return _read_uscc(tax_id)
    if len(tax_id) in LEGACY_LENGTHS:
        return TaxIdReading(tax_id, LEGACY, notes=(
            _("旧税号（%(length)s 位纳税人识别号），不含登记管理部门、机构类别和地区信息",
              length=len(tax_id)),))
    return TaxIdReading(tax_id, problem=(
        _("企业税号长度应为 18 位（统一社会信用代码）或 15、20 位（旧税号），当前为 %(length)s 位",
          length=len(tax_id))))


def problem(raw: str | None) -> str | None:
    """What is wrong with a tax ID (a Chinese sentence), or None when it is valid."""
    return read(raw).problem


def is_valid(raw: str | None) -> bool:
    return problem(raw) is None


def validate(raw: str | None) -> str:
    """The normalised tax ID, or ServiceError(field="tax_id") saying what is wrong."""
    message = problem(raw)
    if message:
        raise ServiceError(message, field="tax_id")
    return normalise(raw)


# 企业类型 as registries write it → the 工商 机构类别 it belongs to. Only clear words count: what
# matches none of them (民办非企业单位, 代表机构, an empty field …) is never flagged.
NOT_A_COMPANY = ("非企业", "代表机构")  # i18n: data (matched in what registries write)
COMPANY_WORDS = ("公司", "企业", "合伙", "全民所有制", "集体所有制", "股份合作")  # i18n: data
REGISTRY_WORDS = {"企业": _l("公司或其他企业"), "个体工商户": _l("个体工商户"),  # i18n: data (keys)
                  "农民专业合作社": _l("农民专业合作社")}


def registry_category(company_type: str | None) -> str | None:
    """The 工商 category a 企业类型 names (个体工商户, 农民专业合作社 or 企业), or None."""
    text = company_type or ""
    if "个体" in text:  # i18n: data
        return "个体工商户"  # i18n: data
    if "合作社" in text:  # i18n: data
        return "农民专业合作社"  # i18n: data
    if any(word in text for word in NOT_A_COMPANY):
        return None
    if any(word in text for word in COMPANY_WORDS):
        return "企业"  # i18n: data
    return None


def category_mismatch(reading: TaxIdReading, company_type: str | None) -> str | None:
    """A warning when the registry's 企业类型 names another kind of body than positions 1–2 of
    a valid code: 个体工商户 vs a company, a 工商 category vs a code issued by 民政 …"""
    if not reading.valid or reading.kind != USCC or reading.tax_id[:2] == "99":
        return None  # 9-9 工商 · 其他 claims no category
    named = registry_category(company_type)
    if named is None:
        return None
    expected = reading.category if reading.tax_id[0] == "9" else None
    if named == expected:
        return None
    pair = f"{reading.tax_id[0]}-{reading.tax_id[1]}"
    return (_("企业类型与税号不符：企业类型为“%(company_type)s”（%(REGISTRY_WORDS)s），"
              "而税号第 1–2 位 %(pair)s 表示“%(department)s · %(category)s”。"
              "请核对企业税号和企业类型。",
              company_type=company_type, REGISTRY_WORDS=REGISTRY_WORDS[named], pair=pair,
              department=gettext(reading.department), category=gettext(reading.category)))
