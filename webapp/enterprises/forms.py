"""Forms of 企业管理. Field rules live in services/enterprises.check; the forms carry CSRF,
labels and the submitted values."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, SubmitField, TextAreaField

from webapp.models.enterprise import BUSINESS_FIELDS


class EnterpriseForm(FlaskForm):
    name = StringField("企业名称")
    tax_id = StringField("企业税号")
    source = HiddenField(default="manual")
    submit = SubmitField("保存")
    lookup = SubmitField("查询工商信息")

    @property
    def business_fields(self):
        return [self[name] for name, _label in BUSINESS_FIELDS]

    def data_for_service(self) -> dict:
        names = ["name", "tax_id", *(name for name, _ in BUSINESS_FIELDS)]
        return {name: self[name].data for name in names}


for _name, _label in BUSINESS_FIELDS:
    _kind = TextAreaField if _name == "business_scope" else StringField
    setattr(EnterpriseForm, _name, _kind(_label))


class UploadForm(FlaskForm):
    file = FileField("CSV 文件")
    submit = SubmitField("上传并预览")


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
    submit = SubmitField("确认导入")
