"""Checking the shape of a `POST /api/orders` body before the order service sees it.

Every field is checked and every problem reported at once (`{"errors": {field: message}}`);
the business rules (known product, email form, duplicate 订单号…) stay in orders/service.py.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from webapp.core.errors import Invalid
from webapp.core.text import bad_character
from webapp.orders.service import MAX_QUANTITY

FIELDS = {"order_no", "customer", "contact_email", "sales", "valid_until", "lines", "delivered"}
MAX_LINES = 50


@dataclass
class OrderPayload:
    order_no: str
    customer: str
    contact_email: str
    lines: list[tuple[str, int]]
    sales: str | None = None
    valid_until: date | None = None
    delivered: bool = False


class PayloadError(Invalid):
    """The body breaks the schema; `errors` names every wrong field."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field, errors=errors)


def _string(body: dict, name: str, max_len: int, errors: dict, required: bool = True):
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = _("必填")
        return None
    if not isinstance(value, str):
        errors[name] = _("必须是字符串")
        return None
    if len(value) > max_len:
        errors[name] = _("不超过 %(max_len)s 个字符", max_len=max_len)
        return None
    if problem := bad_character(value):
        errors[name] = problem
        return None
    return value


def _lines(value, errors: dict) -> list[tuple[str, int]]:
    if value is None:
        errors["lines"] = _("必填")
        return []
    if not isinstance(value, list) or not value:
        errors["lines"] = _("必须是非空数组：[{\"product\": \"issue\", \"quantity\": 3}]")
        return []
    if len(value) > MAX_LINES:
        errors["lines"] = _("最多 %(MAX_LINES)s 行", MAX_LINES=MAX_LINES)
        return []
    lines = []
    for i, item in enumerate(value):
        where = f"lines[{i}]"
        if not isinstance(item, dict):
            errors[where] = _("必须是对象 {\"product\", \"quantity\"}")
            continue
        product, quantity = item.get("product"), item.get("quantity")
        if (not isinstance(product, str) or not product.strip() or len(product) > 40
                or bad_character(product)):
            errors[f"{where}.product"] = _("必须是产品代码（字符串，不超过 40 个字符）")
        # bool is an int in Python; `true` is not a quantity.
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            errors[f"{where}.quantity"] = _("必须是整数")
        elif quantity <= 0:
            errors[f"{where}.quantity"] = _("必须大于 0")
        elif quantity > MAX_QUANTITY:
            errors[f"{where}.quantity"] = _("不能超过 %(MAX_QUANTITY)s", MAX_QUANTITY=MAX_QUANTITY)
        if f"{where}.product" not in errors and f"{where}.quantity" not in errors:
            lines.append((product.strip(), quantity))
    return lines


def parse(body) -> OrderPayload:
    """The payload, or PayloadError listing every field that is wrong."""
    if not isinstance(body, dict):
        raise PayloadError({"body": _("请求体必须是 JSON 对象")})
    errors: dict[str, str] = {}
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        errors["body"] = _("未知字段：%(join)s", join=', '.join(str(k)[:40] for k in unknown[:10]))
    order_no = _string(body, "order_no", 64, errors)
    customer = _string(body, "customer", 200, errors)
    email = _string(body, "contact_email", 254, errors)
    sales = _string(body, "sales", 100, errors, required=False)
    valid_until = None
    raw_date = body.get("valid_until")
    if raw_date is not None:
        if not isinstance(raw_date, str) or len(raw_date) != 10:
            errors["valid_until"] = _("日期格式应为 YYYY-MM-DD")
        else:
            try:
                valid_until = date.fromisoformat(raw_date)
            except ValueError:
                errors["valid_until"] = _("日期格式应为 YYYY-MM-DD")
    delivered = body.get("delivered", False)
    if not isinstance(delivered, bool):
        errors["delivered"] = _("必须是 true 或 false")
    lines = _lines(body.get("lines"), errors)
    if errors:
        raise PayloadError(errors)
    return OrderPayload(order_no=order_no, customer=customer, contact_email=email, lines=lines,
                        sales=sales, valid_until=valid_until, delivered=delivered)
