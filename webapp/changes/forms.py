from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField


class MoveRequestForm(FlaskForm):
    tax_id = HiddenField()
    reason = TextAreaField("申请原因")
    submit = SubmitField("提交申请")
