"""Valid tax IDs and registry rows for the enterprise tests."""
from webapp.core.taxid import check_character
from webapp.extensions import db
from webapp.models import RegistryCompany


def tax_id(n: int, prefix: str = "91320500MA") -> str:
    """A valid 18-character unified social credit code, different for every `n`."""
    body = f"{prefix}{n:0{17 - len(prefix)}d}"
    return body + check_character(body)


def add_registry(app, *companies: dict) -> None:
    """Insert RegistryCompany rows directly (the registry helper owns importing)."""
    with app.app_context():
        db.session.add_all(RegistryCompany(**company) for company in companies)
        db.session.commit()


SUZHOU = {
    "tax_id": tax_id(1, "91320594MA"), "name": "苏州工业园区星辰数据科技有限公司",
    "legal_rep": "王晓明", "registered_capital": "1000万元人民币", "established_on": "2016-05-20",
    "reg_status": "存续", "company_type": "有限责任公司(自然人投资或控股)",
    "address": "苏州工业园区星湖街328号", "authority": "苏州工业园区市场监督管理局",
    "business_scope": "数据处理和存储服务；软件开发。",
}
SUZHOU_2 = {**SUZHOU, "tax_id": tax_id(2, "91320594MA"), "name": "苏州工业园区星辰云计算有限公司",
            "legal_rep": "李华"}
