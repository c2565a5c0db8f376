"""One registered company as the 工商 registry answers it (every provider returns these)."""
from dataclasses import asdict, dataclass, fields


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
