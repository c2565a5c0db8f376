from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱"), Length(max=254)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    submit = SubmitField("登录")
