from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, SubmitField, TextAreaField


class MoveRequestForm(FlaskForm):
    tax_id = HiddenField()
    reason = TextAreaField(_l("申请原因"))
    attachment = FileField(_l("附件（选填）"))
    submit = SubmitField(lazy_pgettext("button", "提交申请"))
