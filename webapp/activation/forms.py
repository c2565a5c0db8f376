from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from webapp.models.order import DEPLOYMENT_CHOICES, ERP_CHOICES


class KeyForm(FlaskForm):
    key = StringField("操作密钥", validators=[DataRequired("请输入操作密钥"), Length(max=100)])
    submit = SubmitField("进入产品激活")


class ErpForm(FlaskForm):
    erp = RadioField("对接ERP", choices=dict(ERP_CHOICES),
                     validators=[DataRequired("请选择对接ERP")])
    deployment = RadioField("部署方式", choices=dict(DEPLOYMENT_CHOICES),
                            validators=[DataRequired("请选择部署方式")])
    submit = SubmitField("确认")


class PasswordForm(FlaskForm):
    password = PasswordField("设置密码", validators=[DataRequired("请设置密码"), Length(max=128)])
    confirm = PasswordField("确认密码", validators=[DataRequired("请再次输入密码"), Length(max=128)])
    submit = SubmitField("完成激活")


class JoinForm(FlaskForm):
    submit = SubmitField("完成激活")
