"""The 工商 fields (企业名称, 企业税号 and the 工商信息), defined once: name, label, length,
CSV aliases and the keys of 企查查 / 天眼查 / generic answers.

The columns of Enterprise and RegistryCompany are sized from here (`max_length`), which is why
the list sits with the models; what is done with the fields (headers, cleaning, dates) is
`webapp/core/business_fields.py`.
"""
from dataclasses import dataclass


def N_(text: str) -> str:
    """Marks a label for the catalogues; it stays the seed's words (see core/i18n.N_)."""
    return text


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


# The labels are the seed's words (the CSV headers accept them): N_ marks them for the
# catalogues, gettext shows them. The aliases are data (headers people write).
FIELDS = (  # i18n: data
    BusinessField("name", N_("企业名称"), 200,
                  ("名称", "公司名称", "企业全称", "company_name", "company"),
                  ("Name", "companyName", "entName")),
    BusinessField("tax_id", N_("企业税号"), 20,
                  ("税号", "统一社会信用代码", "信用代码", "纳税人识别号", "taxid", "credit_code",
                   "uscc"),
                  ("CreditCode", "creditCode", "credit_code", "unifiedSocialCreditCode", "uscc",
                   "taxNum", "TaxNo")),
    BusinessField("legal_rep", N_("法定代表人"), 100, ("法人代表", "法人", "legal_representative"),
                  ("OperName", "legalPersonName", "legalPerson", "frName")),
    BusinessField("registered_capital", N_("注册资本"), 100, ("capital",),
                  ("RegistCapi", "regCapital", "regCap")),
    BusinessField("established_on", N_("成立日期"), 20, ("established", "start_date"),
                  ("StartDate", "estiblishTime", "establishTime", "esDate")),
    BusinessField("reg_status", N_("登记状态"), 50, ("经营状态", "status"),
                  ("Status", "regStatus", "entStatus")),
    BusinessField("company_type", N_("企业类型"), 100, ("公司类型", "type"),
                  ("EconKind", "companyOrgType", "entType")),
    BusinessField("address", N_("注册地址"), 300, ("地址",), ("Address", "regLocation", "dom")),
    BusinessField("authority", N_("登记机关"), 200, (), ("BelongOrg", "regInstitute", "regOrg")),
    BusinessField("business_scope", N_("经营范围"), 4000, ("scope",),
                  ("Scope", "businessScope", "opScope"), multiline=True),
)
FIELD = {field.name: field for field in FIELDS}
# The 工商信息 block of the form, in form order (everything but 企业名称 and 企业税号).
BUSINESS_FIELDS = FIELDS[2:]
