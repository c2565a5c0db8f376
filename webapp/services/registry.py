"""The 工商 registry: look companies up by name or tax ID for autofill.

The contract the enterprise pages rely on:
    suggest(query, limit=10) -> list[CompanyInfo]
    lookup_tax_id(tax_id) -> CompanyInfo | None
Neither raises for bad input or an unavailable provider: they return nothing and the
UI falls back to manual fill.
"""
from dataclasses import asdict, dataclass, fields

from sqlalchemy import select

from webapp.extensions import db
from webapp.models.enterprise import RegistryCompany
from webapp.services import taxid


@dataclass(frozen=True)
class CompanyInfo:
    """One registered company; field names match BUSINESS_FIELDS plus tax_id and name."""

    tax_id: str
    name: str
    legal_rep: str | None = None
    registered_capital: str | None = None
    established_on: str | None = None
    reg_status: str | None = None
    company_type: str | None = None
    address: str | None = None
    authority: str | None = None
    business_scope: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


INFO_FIELDS = [f.name for f in fields(CompanyInfo)]


def _from_row(row: RegistryCompany) -> CompanyInfo:
    return CompanyInfo(**{name: getattr(row, name) for name in INFO_FIELDS})


def suggest(query: str, limit: int = 10) -> list[CompanyInfo]:
    """Up to `limit` companies whose name contains `query` (2+ characters), or the one
    company whose tax ID `query` is."""
    q = (query or "").strip()
    if len(q) < 2:
        return []
    found = lookup_tax_id(q)
    if found:
        return [found]
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = db.session.scalars(
        select(RegistryCompany).where(RegistryCompany.name.like(f"%{escaped}%", escape="\\"))
        .order_by(RegistryCompany.name).limit(limit))
    return [_from_row(row) for row in rows]


def lookup_tax_id(tax_id: str) -> CompanyInfo | None:
    """The company registered under this tax ID, or None."""
    normalised = taxid.normalise(tax_id)
    if len(normalised) not in (15, 18, 20):
        return None
    row = db.session.scalar(select(RegistryCompany).where(RegistryCompany.tax_id == normalised))
    return _from_row(row) if row else None
