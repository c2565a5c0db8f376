"""Forms of 企业管理. Field rules live in enterprises/service.check (from the field list of
core/business_fields); the forms carry CSRF, labels, sizes and the submitted values."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, SubmitField, TextAreaField

from webapp.models.business_fields import BUSINESS_FIELDS, FIELD, FIELDS
from webapp.core.taxid import MAX_INPUT


class EnterpriseForm(FlaskForm):
    name = StringField(_l(FIELD["name"].label), render_kw={"maxlength": FIELD["name"].max_length})
    # Longer than the column: people paste tax IDs with spaces and dashes, which are dropped.
    tax_id = StringField(_l(FIELD["tax_id"].label), render_kw={"maxlength": MAX_INPUT})
    source = HiddenField(default="manual")
    submit = SubmitField(_l("保存"))
    lookup = SubmitField(_l("查询工商信息"))

    @property
    def business_fields(self):
        return [self[field.name] for field in BUSINESS_FIELDS]

    def data_for_service(self) -> dict:
        return {field.name: self[field.name].data for field in FIELDS}


for _field in BUSINESS_FIELDS:
    _kind = TextAreaField if _field.multiline else StringField
    setattr(EnterpriseForm, _field.name,
            _kind(_l(_field.label), render_kw={"maxlength": _field.max_length}))


class UploadForm(FlaskForm):
    file = FileField(_l("CSV 文件"))
    submit = SubmitField(_l("上传并预览"))


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
    submit = SubmitField(_l("确认导入"))
