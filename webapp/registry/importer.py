"""Import a CSV of registered companies into the local registry (upsert by tax ID).

Columns (header names in Chinese or English, any order; only the first two are required):
企业名称/name, 企业税号/tax_id, 法定代表人/legal_rep, 注册资本/registered_capital,
成立日期/established_on, 登记状态/reg_status, 企业类型/company_type, 注册地址/address,
登记机关/authority, 经营范围/business_scope. Encoding: UTF-8 (with or without BOM) or GBK.
A bad row is reported with its line number and skipped; good rows are kept.
"""
import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from webapp.core import taxid
from webapp.core.csvread import reading_error
from webapp.core.errors import ServiceError
from webapp.registry import local

CHUNK = 5000
ALIASES = {
    "name": ["企业名称", "名称", "公司名称", "企业全称", "name", "company_name", "company"],
    "tax_id": ["企业税号", "税号", "统一社会信用代码", "信用代码", "纳税人识别号", "tax_id",
               "taxid", "credit_code", "uscc"],
    "legal_rep": ["法定代表人", "法人代表", "法人", "legal_rep", "legal_representative"],
    "registered_capital": ["注册资本", "registered_capital", "capital"],
    "established_on": ["成立日期", "established_on", "established", "start_date"],
    "reg_status": ["登记状态", "经营状态", "reg_status", "status"],
    "company_type": ["企业类型", "公司类型", "company_type", "type"],
    "address": ["注册地址", "地址", "address"],
    "authority": ["登记机关", "authority"],
    "business_scope": ["经营范围", "business_scope", "scope"],
}
LABELS = {"name": "企业名称", "tax_id": "企业税号", "legal_rep": "法定代表人",
          "registered_capital": "注册资本", "established_on": "成立日期", "reg_status": "登记状态",
          "company_type": "企业类型", "address": "注册地址", "authority": "登记机关",
          "business_scope": "经营范围"}
MAX_LENGTH = {"name": 200, "legal_rep": 100, "registered_capital": 100, "established_on": 20,
              "reg_status": 50, "company_type": 100, "address": 300, "authority": 200,
              "business_scope": 4000}
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$|^(\d{4})(\d{2})(\d{2})$")


def _key(header: str) -> str:
    return re.sub(r"[\s_]+", "_", unicodedata.normalize("NFKC", header or "").strip().lower())


HEADER_TO_FIELD = {_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def open_text(binary) -> io.TextIOWrapper:
    """A text stream over `binary`: UTF-8 (BOM dropped) when the start decodes as UTF-8, else GBK
    (read as GB18030, its superset)."""
    head = binary.peek(64 * 1024) if hasattr(binary, "peek") else b""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    return io.TextIOWrapper(binary, encoding=encoding, newline="")


def _date(value: str) -> str:
    match = DATE_RE.match(value)
    if not match:
        raise ServiceError(f"成立日期格式应为 YYYY-MM-DD：{value[:30]}")
    y, m, d = (int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:]))
    if not (1 <= m <= 12 and 1 <= d <= 31):
        raise ServiceError(f"成立日期不存在：{value[:30]}")
    return f"{y:04d}-{m:02d}-{d:02d}"


def parse_row(record: dict) -> dict:
    """A registry row from one CSV record, or ServiceError saying what is wrong."""
    # Names are stored NFKC-normalised, as queries are, so full-width text still matches.
    if not unicodedata.normalize("NFKC", record.get("name") or "").strip():
        raise ServiceError("缺少企业名称")
    row = {}
    for name, raw in record.items():
        value = (raw or "").strip()
        if name in ("tax_id", "name", "established_on"):
            value = unicodedata.normalize("NFKC", value).strip()
        if name == "tax_id":
            row[name] = taxid.validate(value)
            continue
        if not value:
            row[name] = None
            continue
        if len(value) > MAX_LENGTH[name]:
            raise ServiceError(f"{LABELS[name]}过长（最多 {MAX_LENGTH[name]} 个字符）")
        row[name] = _date(value) if name == "established_on" else value
    return row


def _columns(header: list[str], report: ImportReport) -> dict[int, str]:
    columns = {}
    for index, title in enumerate(header):
        name = HEADER_TO_FIELD.get(_key(title))
        if name and name not in columns.values():
            columns[index] = name
        elif title.strip():
            report.ignored_columns.append(title.strip())
    missing = [LABELS[n] for n in ("name", "tax_id") if n not in columns.values()]
    if missing:
        raise ServiceError("CSV 表头缺少列：" + "、".join(missing)
                           + "（表头需含 企业名称 与 企业税号，或 name 与 tax_id）")
    return columns


def _flush(chunk: list[dict], report: ImportReport) -> None:
    existing = local.existing_tax_ids([row["tax_id"] for row in chunk])
    fresh = {row["tax_id"] for row in chunk} - existing
    report.inserted += len(fresh)
    report.updated += len(existing)
    local.upsert(chunk)
    chunk.clear()


def import_csv(binary, progress=None) -> ImportReport:
    """Upsert every good row of the CSV in `binary` (flushes; the caller commits once).

    `progress(position)` is called with the byte offset reached, now and then.
    """
    report = ImportReport()
    stream = open_text(binary)
    reader = csv.reader(stream)
    try:
        columns = _columns(next(reader, []), report)
        chunk: list[dict] = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            try:
                chunk.append(parse_row({name: record[i] if i < len(record) else ""
                                        for i, name in columns.items()}))
            except ServiceError as exc:
                report.errors.append((reader.line_num, exc.message))
            if len(chunk) >= CHUNK:
                _flush(chunk, report)
                if progress:
                    progress(binary.tell())
        _flush(chunk, report)
    except UnicodeDecodeError as exc:
        raise ServiceError(f"文件编码无法识别（需 UTF-8 或 GBK）：第 {reader.line_num + 1} 行附近"
                           ) from exc
    except csv.Error as exc:
        raise ServiceError(reading_error(exc, max(reader.line_num, 1))) from exc
    finally:
        stream.detach()  # the caller owns (and closes) the binary file
    return report
