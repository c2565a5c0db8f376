"""The 工商 fields (企业名称, 企业税号 and the 工商信息), defined once.

Every place that lists, labels, limits, aliases or parses them reads this module: the columns
of Enterprise and RegistryCompany (their sizes are `max_length`), CompanyInfo, the 新增企业
form and check(), 批量导入 and `registry import` (CSV headers, lengths, the date), and the
HTTP provider's mapping of 企查查 / 天眼查 answers. So whatever the registry holds, autofill
puts in the form and 【保存】 accepts.

It lives in core/ because models (the column sizes) and two features (enterprises, registry)
build on it, and a feature must not import another feature's internals.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from webapp.core.text import stored_text_problem


@dataclass(frozen=True)
class BusinessField:
    name: str  # attribute, column and form field name
    label: str  # the UI word (also the CSV header of the templates)
    max_length: int  # characters: the String(n) of its columns, or the cap of a TEXT one
    aliases: tuple[str, ...] = ()  # other CSV header names (the label and name always count)
    provider_keys: tuple[str, ...] = ()  # the field in 企查查 / 天眼查 / generic JSON answers
    multiline: bool = False  # keeps its line breaks; long, so its columns are TEXT

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.label, self.name, *self.aliases)


FIELDS = (
    BusinessField("name", "企业名称", 200,
                  ("名称", "公司名称", "企业全称", "company_name", "company"),
                  ("Name", "companyName", "entName")),
    BusinessField("tax_id", "企业税号", 20,
                  ("税号", "统一社会信用代码", "信用代码", "纳税人识别号", "taxid", "credit_code",
                   "uscc"),
                  ("CreditCode", "creditCode", "credit_code", "unifiedSocialCreditCode", "uscc",
                   "taxNum", "TaxNo")),
    BusinessField("legal_rep", "法定代表人", 100, ("法人代表", "法人", "legal_representative"),
                  ("OperName", "legalPersonName", "legalPerson", "frName")),
    BusinessField("registered_capital", "注册资本", 100, ("capital",),
                  ("RegistCapi", "regCapital", "regCap")),
    BusinessField("established_on", "成立日期", 20, ("established", "start_date"),
                  ("StartDate", "estiblishTime", "establishTime", "esDate")),
    BusinessField("reg_status", "登记状态", 50, ("经营状态", "status"),
                  ("Status", "regStatus", "entStatus")),
    BusinessField("company_type", "企业类型", 100, ("公司类型", "type"),
                  ("EconKind", "companyOrgType", "entType")),
    BusinessField("address", "注册地址", 300, ("地址",), ("Address", "regLocation", "dom")),
    BusinessField("authority", "登记机关", 200, (), ("BelongOrg", "regInstitute", "regOrg")),
    BusinessField("business_scope", "经营范围", 4000, ("scope",),
                  ("Scope", "businessScope", "opScope"), multiline=True),
)
FIELD = {field.name: field for field in FIELDS}
# The 工商信息 block of the form, in form order (everything but 企业名称 and 企业税号).
BUSINESS_FIELDS = FIELDS[2:]

# YYYY-M-D with - / . or 年月日, or YYYYMMDD; APIs may add a time of day (StartDate of 企查查).
DATE_RE = re.compile(
    r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
    r"|^([0-9]{4})([0-9]{2})([0-9]{2})$")
DATE_FORMAT = "成立日期格式应为 YYYY-MM-DD，例如 2015-03-02"
DATE_MISSING = "成立日期不存在，请检查年、月、日"
DATE_FUTURE = "成立日期不能晚于今天"


def _header_key(header: str) -> str:
    return re.sub(r"[\s_]+", "_", unicodedata.normalize("NFKC", header or "").strip().lower())


HEADER_TO_FIELD = {_header_key(header): field.name for field in FIELDS for header in field.headers}


def header_fields(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """({column index: field name}, ignored headers) for a CSV header row. A header names a field
    by its label, name or an alias, in any case, full- or half-width; a field named twice keeps
    its first column."""
    columns: dict[int, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        name = HEADER_TO_FIELD.get(_header_key(title))
        if name and name not in columns.values():
            columns[index] = name
        elif title.strip():
            ignored.append(title.strip())
    return columns, ignored


def _clean_text(name: str, value) -> tuple[str | None, str | None]:
    """(cleaned value or None, problem or None) for one text field: trimmed, runs of whitespace
    made one space (line breaks kept where the field is multiline), no control characters,
    at most `max_length` characters."""
    if value is None or value == "":
        return None, None
    field = FIELD[name]
    text = value if isinstance(value, str) else str(value)
    if field.multiline:
        text = text.replace("\r\n", "\n").strip()
    else:
        text = " ".join(text.split())  # also removes every line break
    if problem := stored_text_problem(text, field.label, field.max_length):
        return None, problem
    return text or None, None


def clean_date(value: str) -> tuple[str | None, str | None]:
    """(YYYY-MM-DD, None) or (None, problem) for a 成立日期 as people, CSV files and APIs write
    it (full-width digits too); a day that does not exist or is after today is refused."""
    match = DATE_RE.match(unicodedata.normalize("NFKC", value or "").strip())
    if not match:
        return None, DATE_FORMAT
    groups = match.groups()
    year, month, day = (int(g) for g in (groups[:3] if groups[0] else groups[3:]))
    try:
        parsed = date(year, month, day)
    except ValueError:
        return None, DATE_MISSING
    if parsed > date.today():
        return None, DATE_FUTURE
    return parsed.isoformat(), None


def clean(name: str, value) -> tuple[str | None, str | None]:
    """One field (企业名称 or a 工商 field, not 企业税号) as it is stored: trimmed, checked, and
    a 成立日期 read as a date."""
    text, problem = _clean_text(name, value)
    if text and name == "established_on" and not problem:
        return clean_date(text)
    return text, problem
