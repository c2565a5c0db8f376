from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱"), Length(max=254)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    submit = SubmitField("登录")


class ForgotForm(FlaskForm):
    """忘记密码: the address the account signs in with."""

    email = EmailField("邮箱", validators=[DataRequired("请输入登录邮箱"), Length(max=254)])
    submit = SubmitField("发送重设密码邮件")


class NewPasswordForm(FlaskForm):
    """The password a one-time link sets (a new staff account's first one, or 忘记密码)."""

    password = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(max=128)])
    confirm = PasswordField("确认密码", validators=[DataRequired("请再次输入新密码"), Length(max=128)])
    submit = SubmitField("设置密码")
