"""Filter forms of 租户权益查询 and 操作日志 (GET forms: no CSRF, Chinese messages only)."""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, ValidationError
from wtforms.validators import Length
from wtforms.widgets import DateInput

from webapp.core.audit_labels import action_choices, action_values
from webapp.web.i18n import per_locale

ACTIONS = action_values()  # a group (`order.`) or one event
MAX_QUERY = 100


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class GetForm(FlaskForm):
    class Meta:
        csrf = False


class TenantSearchForm(GetForm):
    """Staff: find a tenant by tenant name, enterprise name or tax ID."""

    q = StringField(_l("租户名称、企业名称或税号"), filters=[_strip],
                    validators=[Length(max=100, message=_l("搜索内容不能超过 100 个字符"))])
    submit = SubmitField(_l("查询租户"))


@dataclass
class QueryForm:
    """The per-enterprise view's filters, read as plain values and rendered as plain markup
    (`entitlements/_results.html`): the same rules and messages a WTForms form had, without
    its 0.22 ms a page for two fields. `errors` maps a field to its messages, as WTForms'."""

    q: str | None
    product: str | None
    choices: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, args, products=()) -> "QueryForm":
        form = cls(_strip(args.get("q")), args.get("product"), _choices(tuple(products)))
        if form.q and len(form.q) > MAX_QUERY:
            form.errors["q"] = [_("搜索内容不能超过 %(max)s 个字符", max=MAX_QUERY)]
        if form.product and form.product not in form.choices:
            form.errors["product"] = [_("请选择列表中的产品")]
        return form

    def validate(self) -> bool:
        return not self.errors


@per_locale
def _choices(products: tuple) -> dict[str, str]:
    """The product filter's options: the catalogue's (code, name) rows, names translated."""
    return {"": _("全部产品"), **{p.code: _(p.name) for p in products}}


def _parse_day(text: str | None) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("日期格式应为 YYYY-MM-DD，例如 2026-01-31：%(text)s",
                                text=text[:20])) from None


class AuditForm(GetForm):
    actor = StringField(_l("操作人"), filters=[_strip],
                        validators=[Length(max=100, message=_l("操作人不能超过 100 个字符"))])
    action = SelectField(_l("操作"), choices=action_choices(), validate_choice=False)
    date_from = StringField(_l("开始日期"), widget=DateInput())
    date_to = StringField(_l("结束日期"), widget=DateInput())
    submit = SubmitField(_l("筛选"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = action_choices()  # in the reader's language

    def validate_action(self, field):
        if field.data and field.data not in ACTIONS:
            raise ValidationError(_("请从列表中选择操作"))

    def validate_date_from(self, field):
        self.day_from = _parse_day(field.data)

    def validate_date_to(self, field):
        self.day_to = _parse_day(field.data)
        day_from = getattr(self, "day_from", None)
        if day_from and self.day_to and self.day_to < day_from:
            raise ValidationError(_("结束日期不能早于开始日期"))
