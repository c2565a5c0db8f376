from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from flask_babel import lazy_gettext as _l
from webapp.models.order import DEPLOYMENT_CHOICES, ERP_CHOICES


class KeyForm(FlaskForm):
    key = StringField(_l("操作密钥"), validators=[DataRequired(_l("请输入操作密钥")), Length(max=100)])
    submit = SubmitField(_l("进入产品激活"))


class ErpForm(FlaskForm):
    erp = RadioField(_l("对接ERP"), choices=lambda: {code: str(label) for code, label in ERP_CHOICES},
                     validators=[DataRequired(_l("请选择对接ERP"))])
    deployment = RadioField(_l("部署方式"), choices=lambda: {code: str(label) for code, label in DEPLOYMENT_CHOICES},
                            validators=[DataRequired(_l("请选择部署方式"))])
    submit = SubmitField(_l("确认"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("设置密码"), validators=[DataRequired(_l("请设置密码")), Length(max=128)])
    confirm = PasswordField(_l("确认密码"), validators=[DataRequired(_l("请再次输入密码")), Length(max=128)])
    submit = SubmitField(_l("完成激活"))


class JoinForm(FlaskForm):
    submit = SubmitField(_l("完成激活"))
