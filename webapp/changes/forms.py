from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, SubmitField, TextAreaField


class MoveRequestForm(FlaskForm):
    tax_id = HiddenField()
    reason = TextAreaField("申请原因")
    attachment = FileField("附件（选填）")
    submit = SubmitField("提交申请")
