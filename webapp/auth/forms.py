from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length
from flask_babel import lazy_gettext as _l


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(_l("请输入邮箱")), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=128)])
    submit = SubmitField(_l("登录"))


class ForgotForm(FlaskForm):
    """忘记密码: the address the account signs in with."""

    email = EmailField(_l("邮箱"), validators=[DataRequired(_l("请输入登录邮箱")), Length(max=254)])
    submit = SubmitField(_l("发送重设密码邮件"))


class NewPasswordForm(FlaskForm):
    """The password a one-time link sets (a new staff account's first one, or 忘记密码)."""

    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码")), Length(max=128)])
    confirm = PasswordField(_l("确认密码"), validators=[DataRequired(_l("请再次输入新密码")), Length(max=128)])
    submit = SubmitField(_l("设置密码"))
