"""Forms of the ops order page 新建订单."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.orders.service import MAX_QUANTITY
from webapp.web.forms import customer_field


class _ChineseParseError:
    """Mixin for a typed field: its parse error becomes `parse_error` (WTForms' own is English)."""

    parse_error = ""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.parse_error) from None


class QuantityField(_ChineseParseError, IntegerField):
    """An integer field whose parse error is in Chinese."""

    parse_error = _l("数量必须是整数")


class DayField(_ChineseParseError, DateField):
    """A YYYY-MM-DD date field whose parse error is in Chinese."""

    parse_error = _l("日期格式应为 YYYY-MM-DD")


class OrderForm(FlaskForm):
    """新建订单; one quantity field per catalogue product is added by `order_form(products)`."""

    order_no = StringField(_l("订单号"), validators=[DataRequired(_l("请输入订单号")),
                                              Length(max=64, message=_l("订单号不超过 64 位"))])
    customer = customer_field()
    contact_email = EmailField(_l("联系邮箱"), validators=[DataRequired(_l("请输入联系邮箱")),
                                                   Length(max=254, message=_l("邮箱不超过 254 位"))])
    sales = StringField(_l("销售人员"), validators=[Optional(), Length(max=100, message=_l("不超过 100 字"))])
    valid_until = DayField(_l("有效期"), validators=[Optional()],
                            render_kw={"placeholder": "YYYY-MM-DD"})
    delivered = BooleanField(_l("创建后立即标记已交付（发送激活邮件）"))
    submit = SubmitField(_l("创建订单"))

    def quantity_fields(self):
        return [getattr(self, name) for name in self._quantity_names]


def order_form(products, **kwargs) -> OrderForm:
    """An OrderForm with a 数量 field `qty_<code>` per product (blank: not ordered)."""

    class _Form(OrderForm):
        pass

    names = []
    for product in products:
        name = f"qty_{product.code}"
        setattr(_Form, name, QuantityField(
            product.label, validators=[Optional(), NumberRange(
                min=1, max=MAX_QUANTITY, message=_("数量需为 1–%(MAX_QUANTITY)s 的整数",
                                                   MAX_QUANTITY=MAX_QUANTITY))]))
        names.append(name)
    form = _Form(**kwargs)
    form._quantity_names = names
    form._products = {f"qty_{p.code}": p.code for p in products}
    return form
