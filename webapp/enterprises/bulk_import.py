"""Bulk add (批量导入): CSV → a preview validating every row → 【确认导入】 in one transaction.

The previewed rows wait in the database (import_preview, under a random token, bound to the
tenant and the user who uploaded it, for an hour), so the confirm step never trusts rows sent
back by the browser and any web worker on any host can confirm it; confirming removes the
preview in the import's own transaction. Confirming validates the rows again: what changed in the
meantime (a tax ID added since, by anyone) is skipped or refused, never added twice.
"""
import csv
import io
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from webapp.core import audit, taxid
from webapp.core.business_fields import header_fields
from webapp.models.business_fields import FIELD
from webapp.core.csvread import reading_error
from webapp.core.i18n import N_
from webapp.core.errors import Conflict, Expired, RateLimited, ServiceError
from webapp.core.unit_of_work import add_unique
from webapp.enterprises import service as enterprises
from webapp.enterprises.service import InvalidEnterprise
from webapp.extensions import db
from webapp.models import Enterprise, ImportPreview, Tenant, User
from webapp.models.enterprise import SOURCE_MANUAL
from webapp.models.tenant import enterprises_added
from webapp.orm import utcnow

REQUIRED = ("name", "tax_id")
MAX_ROWS = 5000
MAX_AGE = 3600  # seconds a preview can be confirmed
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
OK, ERROR, EXISTS, OTHER_TENANT, DUPLICATE = "ok", "error", "exists", "other_tenant", "duplicate"
EXPIRED = N_("预览已过期或已导入，请重新上传文件。")


@dataclass
class Row:
    line: int
    data: dict
    status: str = OK
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def tax_id(self) -> str:
        return taxid.normalise(self.data.get("tax_id"))

    @cached_property
    def reading(self) -> taxid.TaxIdReading | None:
        """What the row's tax ID says, when it is a valid one (else its message says why not)."""
        reading = taxid.read(self.tax_id)
        return reading if reading.valid else None

    @property
    def mismatch(self) -> str | None:
        """The row's 企业类型 contradicting its tax ID (core/taxid.category_mismatch)."""
        return self.reading and taxid.category_mismatch(self.reading, self.data.get("company_type"))


@dataclass
class Preview:
    token: str | None
    rows: list[Row]
    ignored_columns: list[str]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM, as Excel writes it) or GBK/GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError(_("无法识别文件编码，请将文件另存为 UTF-8 或 GBK 编码的 CSV。"), field="file")


def parse(raw: bytes) -> tuple[list[tuple[int, dict]], list[str]]:
    """[(line number, {field: text})] and the ignored header names; ServiceError if unusable."""
    if not raw:
        raise ServiceError(_("请选择要上传的 CSV 文件。"), field="file")
    text = decode(raw)
    if "\x00" in text:
        raise ServiceError(_("文件不是 CSV 文本文件，请从 Excel 另存为“CSV（逗号分隔）”。"),
                           field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ServiceError(_("文件为空，第 1 行应为列名：企业名称,企业税号"), field="file") from None
    except csv.Error as exc:
        raise ServiceError(reading_error(exc, 1), field="file") from None
    columns, ignored = header_fields(header)
    missing = [_(FIELD[name].label) for name in REQUIRED if name not in columns.values()]
    if missing:
        raise ServiceError(_("第 1 行缺少列：%(columns)s（列名须与模板一致）",
                             columns=_("、").join(missing)), field="file")
    rows, line = [], 1
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ServiceError(_("文件行数过多：每次最多导入 %(max_rows)s 行，请拆分后上传。",
                                     max_rows=MAX_ROWS),
                                   field="file")
            rows.append((start, {name: cells[i] if i < len(cells) else ""
                                 for i, name in columns.items()}))
    except csv.Error as exc:
        raise ServiceError(reading_error(exc, line + 1), field="file") from None
    if not rows:
        raise ServiceError(_("文件中没有企业数据：第 1 行为列名，从第 2 行起每行一家企业。"),
                           field="file")
    return rows, ignored


def _holders(tax_ids: list[str]) -> dict[str, Enterprise]:
    found: dict[str, Enterprise] = {}
    for i in range(0, len(tax_ids), 500):
        chunk = tax_ids[i:i + 500]
        for ent in db.session.scalars(select(Enterprise).options(joinedload(Enterprise.tenant))
                                      .where(Enterprise.tax_id.in_(chunk))):
            found[ent.tax_id] = ent
    return found


WITHHELD = N_("企业【%(tax_id)s】已在其他租户下有数据，一个企业只能绑定一个租户；1 小时内查询其他租户企业的次数"
               "已达上限，暂不显示所属租户。如需将该企业变更到本租户，请点击【联系售后】操作。")


def _other_tenant(row: Row, holder: Enterprise, tenant: Tenant, name_holders: bool) -> str:
    """The seed's sentence naming the holder, while this tenant may still be told holders
    (enterprises.count_holder_lookup); past that, the same fact without the holder's name."""
    if name_holders:
        try:
            enterprises.count_holder_lookup(tenant, row.tax_id)
        except RateLimited:
            pass
        else:
            return enterprises.cross_tenant_message(row.tax_id, holder.tenant.name, tenant.name)
    return _(WITHHELD, tax_id=row.tax_id)


def assess(tenant: Tenant, parsed: list[tuple[int, dict]], *,
           name_holders: bool = False) -> list[Row]:
    """Every row with its verdict: 可导入, an error, already here, another tenant's, repeated.
    `name_holders` (the preview): name the tenant holding another tenant's tax ID, as long as
    this tenant may be told."""
    rows = [Row(line, data) for line, data in parsed]
    first_line: dict[str, int] = {}
    on_record: list[Row] = []  # refused only for a tax ID that may be stored under an older rule
    for row in rows:
        try:
            row.data = {k: v for k, v in enterprises.check(row.data).items()}
        except InvalidEnterprise as exc:
            row.status, row.message = ERROR, _("；").join(exc.errors.values())
            if set(exc.errors) == {"tax_id"} and taxid.read(row.tax_id).kind:
                on_record.append(row)
            continue
        if row.tax_id in first_line:
            row.status = DUPLICATE
            row.message = _("与第 %(line)s 行的企业税号重复，已跳过", line=first_line[row.tax_id])
        else:
            first_line[row.tax_id] = row.line
    holders = _holders(list(first_line) + [row.tax_id for row in on_record])
    for row in rows:
        holder = holders.get(row.tax_id) if row.status == OK or row in on_record else None
        if holder is None:
            continue
        if holder.tenant_id == tenant.id:
            row.status, row.message = EXISTS, _("已在本租户下，跳过（不会重复新增）")
        else:
            row.status = OTHER_TENANT
            row.message = _other_tenant(row, holder, tenant, name_holders)
    return rows


def preview(tenant: Tenant, user: User, raw: bytes) -> Preview:
    """Validate an uploaded file; the rows wait under a token if any row can be added."""
    parsed, ignored = parse(raw)
    rows = assess(tenant, parsed, name_holders=True)
    token = None
    if any(row.status == OK for row in rows):
        now = utcnow()
        db.session.execute(delete(ImportPreview).where(ImportPreview.expires_at < now))
        token = secrets.token_urlsafe(24)
        db.session.add(ImportPreview(
            token=token, tenant_id=tenant.id, user_id=user.id, created_at=now,
            expires_at=now + timedelta(seconds=MAX_AGE),
            rows_json=json.dumps([[line, data] for line, data in parsed], ensure_ascii=False)))
        db.session.flush()
    return Preview(token, rows, ignored)


def _load(tenant: Tenant, user: User, token: str) -> ImportPreview:
    if not TOKEN_RE.match(token or ""):
        raise Expired(_(EXPIRED))
    stored = db.session.scalar(select(ImportPreview).where(
        ImportPreview.token == token, ImportPreview.tenant_id == tenant.id,
        ImportPreview.user_id == user.id, ImportPreview.expires_at >= utcnow())
        .with_for_update())
    if stored is None:
        raise Expired(_(EXPIRED))
    return stored


def confirm(tenant: Tenant, user: User, token: str, ip: str | None = None) -> list[Row]:
    """Add every row that is still addable, in the caller's one transaction; returns all rows.

    Raises ServiceError (nothing added) if another tenant took a tax ID meanwhile."""
    stored = _load(tenant, user, token)
    rows = assess(tenant, [(line, data) for line, data in json.loads(stored.rows_json)])
    good = [row for row in rows if row.status == OK]
    created = [Enterprise(tenant_id=tenant.id, created_by_id=user.id, source=SOURCE_MANUAL,
                          **row.data) for row in good]
    if not add_unique(*created):
        raise Conflict(_("导入期间有企业税号已被绑定，本次未导入任何企业，请重新上传预览。"))
    enterprises_added(tenant.id, len(created))
    for enterprise in created:
        audit.record("enterprise.created", actor=user, tenant_id=tenant.id, target=enterprise,
                     ip=ip, tax_id=enterprise.tax_id, name=enterprise.name,
                     source=enterprise.source, via="import")
    audit.record("enterprise.imported", actor=user, tenant_id=tenant.id, ip=ip,
                 added=len(created), skipped=len(rows) - len(created))
    db.session.delete(stored)  # in the same transaction: a second confirm finds nothing
    db.session.flush()
    return rows
