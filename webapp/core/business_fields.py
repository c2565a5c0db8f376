"""What is done with the 工商 fields (their list is `webapp/models/business_fields.py`): CSV
headers read by label, name or alias, a value cleaned and checked as it is stored, a 成立日期
read in the ways people, CSV files and APIs write it. The 新增企业 form and check(), 批量导入,
`registry import` and the HTTP provider's mapping all read these, so whatever the registry
holds, autofill puts in the form and 【保存】 accepts.
"""
import re
import unicodedata
from datetime import date

from flask_babel import gettext
from webapp.core.i18n import N_
from webapp.core.text import stored_text_problem
from webapp.models.business_fields import FIELD, FIELDS

# YYYY-M-D with - / . or 年月日, or YYYYMMDD; APIs may add a time of day (StartDate of 企查查).
DATE_RE = re.compile(  # i18n: data (the date patterns registries write)
    r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
    r"|^([0-9]{4})([0-9]{2})([0-9]{2})$")
# In the seed's words (N_), translated where returned.
DATE_FORMAT = N_("成立日期格式应为 YYYY-MM-DD，例如 2015-03-02")
DATE_MISSING = N_("成立日期不存在，请检查年、月、日")
DATE_FUTURE = N_("成立日期不能晚于今天")


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
    if problem := stored_text_problem(text, gettext(field.label), field.max_length):
        return None, problem
    return text or None, None


def clean_date(value: str) -> tuple[str | None, str | None]:
    """(YYYY-MM-DD, None) or (None, problem) for a 成立日期 as people, CSV files and APIs write
    it (full-width digits too); a day that does not exist or is after today is refused."""
    match = DATE_RE.match(unicodedata.normalize("NFKC", value or "").strip())
    if not match:
        return None, gettext(DATE_FORMAT)
    groups = match.groups()
    year, month, day = (int(g) for g in (groups[:3] if groups[0] else groups[3:]))
    try:
        parsed = date(year, month, day)
    except ValueError:
        return None, gettext(DATE_MISSING)
    if parsed > date.today():
        return None, gettext(DATE_FUTURE)
    return parsed.isoformat(), None


def clean(name: str, value) -> tuple[str | None, str | None]:
    """One field (企业名称 or a 工商 field, not 企业税号) as it is stored: trimmed, checked, and
    a 成立日期 read as a date."""
    text, problem = _clean_text(name, value)
    if text and name == "established_on" and not problem:
        return clean_date(text)
    return text, problem
