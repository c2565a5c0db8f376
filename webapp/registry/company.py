"""One registered company as the 工商 registry answers it (every provider returns these)."""
from dataclasses import asdict, fields, make_dataclass

from webapp.models.business_fields import BUSINESS_FIELDS


def _as_dict(self) -> dict:
    return asdict(self)


# tax_id, name, then every 工商信息 field of the field list (None when the registry lacks it).
CompanyInfo = make_dataclass(
    "CompanyInfo",
    [("tax_id", str), ("name", str), *((f.name, str | None, None) for f in BUSINESS_FIELDS)],
    frozen=True, namespace={"as_dict": _as_dict, "__module__": __name__},
)
CompanyInfo.__doc__ = "One registered company: tax_id, name and the 工商信息 of BUSINESS_FIELDS."  # i18n: data

INFO_FIELDS = [f.name for f in fields(CompanyInfo)]
