"""Forms' shared pieces: refusals shown where the user typed (one way for every form), and the
fields several features' forms ask for alike."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp.core.errors import ServiceError


def mark_fields(form, exc: ServiceError, fallback: str | None = None) -> bool:
    """Put each message of a refusal on the field of `form` it names (on `fallback` when it
    names none of them); False when nothing could be placed: the caller then shows
    `exc.message` above the form."""
    errors = {name: message for name, message in exc.errors.items() if name in form}
    if not errors and fallback is not None:
        errors = {fallback: exc.message}
    for name, message in errors.items():
        form[name].errors = [*form[name].errors, message]
    return bool(errors)


def customer_field() -> StringField:
    """下单企业全称, as 查找订单 asks for it and 新建订单 records it."""
    return StringField(_l("下单企业全称"), validators=[
        DataRequired(_l("请输入下单企业全称")), Length(max=200, message=_l("不超过 %(max)d 字"))])
