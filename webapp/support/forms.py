"""Forms of the support console (its order page carries the ops 【标记已交付】 too)."""
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from flask_babel import lazy_gettext as _l
from webapp.web.forms import customer_field


def _reason_field() -> TextAreaField:
    """原因 of a support action (written to the audit log)."""
    return TextAreaField(_l("原因"), validators=[DataRequired(_l("请填写原因")),
                                           Length(max=500, message=_l("原因不超过 500 字"))])


class FindForm(FlaskForm):
    """查找订单: the pair the customer gives (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    customer = customer_field()
    order_no = StringField(_l("订单号"), validators=[DataRequired(_l("请输入订单号")),
                                              Length(max=64, message=_l("不超过 64 位"))])
    submit = SubmitField(_l("查找订单"))


class ResendForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("重新推送激活邮件"))


class ContactEmailForm(FlaskForm):
    contact_email = EmailField(_l("新联系邮箱"), validators=[DataRequired(_l("请输入新联系邮箱")),
                                                    Length(max=254, message=_l("邮箱不超过 254 位"))])
    reason = _reason_field()
    submit = SubmitField(_l("修改联系邮箱"))


class DeliverForm(FlaskForm):
    submit = SubmitField(_l("标记已交付"))


class PasswordResetForm(FlaskForm):
    """【发送重设密码邮件】 for one tenant admin (its id in a hidden field)."""

    user_id = HiddenField()
    submit = SubmitField(_l("发送重设密码邮件"))
