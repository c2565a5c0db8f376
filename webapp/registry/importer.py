"""Import a CSV of registered companies into the local registry (upsert by tax ID).

Columns: a header row naming fields of the field list (core/business_fields: 企业名称/name,
企业税号/tax_id, 法定代表人/legal_rep, … or an alias such as 统一社会信用代码), any order; only
企业名称 and 企业税号 are required. Lengths and the date follow the 新增企业 form's rules.
Encoding: UTF-8 (with or without BOM) or GBK.
A bad row is reported with its line number and skipped; good rows are kept.
"""
import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from webapp.core import business_fields, taxid
from webapp.core.business_fields import header_fields
from webapp.models.business_fields import FIELD, FIELDS
from webapp.core.csvread import reading_error
from webapp.core.errors import ServiceError
from webapp.registry import local

CHUNK = 5000
REQUIRED = ("name", "tax_id")
TEXT_FIELDS = [field.name for field in FIELDS if field.name != "tax_id"]


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


def parse_row(record: dict) -> dict:
    """A registry row from one CSV record, or ServiceError with its first problem; the rules
    (lengths, the date) are the 新增企业 form's, so every stored company can be saved there."""
    # Names are stored NFKC-normalised, as queries are, so full-width text still matches.
    record = {**record, "name": unicodedata.normalize("NFKC", record.get("name") or "")}
    if not record["name"].strip():
        raise ServiceError(_("缺少企业名称"))
    row = {}
    if "tax_id" in record:
        row["tax_id"] = taxid.validate(unicodedata.normalize("NFKC", record["tax_id"] or "").strip())
    for name in TEXT_FIELDS:
        if name not in record:
            continue
        row[name], problem = business_fields.clean(name, record[name])
        if problem:
            if name == "established_on":
                problem += _("，当前为“%(value)s”", value=record[name].strip()[:30])
            raise ServiceError(problem)
    return row


def _columns(header: list[str], report: ImportReport) -> dict[int, str]:
    columns, report.ignored_columns = header_fields(header)
    missing = [FIELD[name].label for name in REQUIRED if name not in columns.values()]
    if missing:
        raise ServiceError(_("CSV 表头缺少列：%(columns)s（表头需含 企业名称 与 企业税号，或 name 与 tax_id）",
                             columns="、".join(str(label) for label in missing)))
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
        raise ServiceError(_("文件编码无法识别（需 UTF-8 或 GBK）：第 %(line)s 行附近",
                             line=reader.line_num + 1)) from exc
    except csv.Error as exc:
        raise ServiceError(reading_error(exc, max(reader.line_num, 1))) from exc
    finally:
        stream.detach()  # the caller owns (and closes) the binary file
    return report
