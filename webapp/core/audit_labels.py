"""What 操作日志 shows for each entry: a name for every event the code records (translated), the
detail's keys and values in words, and the list the page's 操作 filter is chosen from.

Every `audit.record(...)` action must have a label here (tests/core/test_auditlog.py reads the
code for them); a new event without one fails the suite.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.models.credential import SCOPE_LABELS
from webapp.models.enterprise import SOURCE_LABELS
from webapp.models.outbox import KIND_LABELS as EMAIL_KINDS
from webapp.models.request import KIND_LABELS as REQUEST_KINDS
from webapp.models.request import STATUS_LABELS as REQUEST_STATUSES
from webapp.models.user import ROLE_LABELS

# Groups in the order the filter lists them; an action belongs to the group before its dot.
GROUP_LABELS = {
    "order": _l("订单"), "activation": _l("产品激活"), "tenant": _l("租户"), "enterprise": _l("企业"),
    "allocation": _l("分配权益"), "credential": _l("授权信息"), "authorization": _l("授权邮件"),
    "golive": _l("上线"), "request": _l("申请（智能审批）"), "support": _l("客服"), "entitlements": _l("权益查询"),
    "email": _l("邮件"), "reminder": _l("到期提醒"), "user": _l("账号"), "auth": _l("登录"), "api": _l("接口"),
}
ACTION_LABELS = {
    "order.created": _l("创建订单"),
    "order.delivered": _l("订单交付"),
    "order.activation_email_queued": _l("发送激活邮件"),
    "order.activated": _l("产品激活"),
    "activation.key_accepted": _l("操作密钥验证通过"),
    "activation.key_wrong": _l("操作密钥错误"),
    "activation.key_blocked": _l("操作密钥错误次数过多，已暂停"),
    "activation.erp_chosen": _l("选择对接ERP及部署方式"),
    "tenant.created": _l("创建租户"),
    "enterprise.created": _l("新增企业"),
    "enterprise.imported": _l("批量导入企业"),
    "allocation.commit": _l("确认分配"),
    "allocation.replaced": _l("权益税号变更"),
    "enterprise.moved_out": _l("企业转出（企业变更租户）"),
    "enterprise.moved_in": _l("企业转入（企业变更租户）"),
    "credential.created": _l("生成授权信息"),
    "credential.revealed": _l("显示密钥"),
    "credential.rotated": _l("重置密钥"),
    "credential.reissued": _l("重新生成授权"),
    "authorization.email_queued": _l("发送授权邮件"),
    "authorization.rotation_email_queued": _l("发送重置后的授权邮件"),
    "golive.verified": _l("连接已验证"),
    "request.submitted": _l("提交申请"),
    "request.accepted": _l("对方确认申请"),
    "request.refused": _l("对方拒绝申请"),
    "request.approved": _l("审批通过"),
    "request.rejected": _l("审批驳回"),
    "request.paid": _l("标记已付款"),
    "request.executed": _l("申请已执行"),
    "request.failed": _l("申请执行失败"),
    "support.activation_resent": _l("重新推送激活邮件"),
    "support.contact_email_changed": _l("修改联系邮箱"),
    "entitlements.exported": _l("导出权益"),
    "email.queued": _l("邮件入队"),
    "email.sent": _l("邮件已发送"),
    "email.failed": _l("邮件发送失败"),
    "reminder.sent": _l("到期提醒"),
    "user.created": _l("创建账号"),
    "user.role_changed": _l("修改角色"),
    "user.disabled": _l("停用账号"),
    "user.enabled": _l("启用账号"),
    "user.password_link_sent": _l("发送设置密码邮件"),
    "user.password_set": _l("设置密码"),
    "user.password_changed": _l("修改密码"),
    "auth.login": _l("登录"),
    "auth.login_failed": _l("登录失败"),
    "auth.login_blocked": _l("登录失败次数过多，已暂停"),
    "auth.logout": _l("退出登录"),
    "auth.password_reset_requested": _l("申请忘记密码"),
    "support.password_reset_sent": _l("客服发送重设密码邮件"),
    "api.unauthorised": _l("接口调用未授权"),
}

DETAIL_LABELS = {
    "kind": _l("类型"), "to": _l("收件人"), "tax_id": _l("企业税号"), "tax_ids": _l("企业税号"), "name": _l("企业名称"),
    "count": _l("数量"), "product": _l("产品"), "order_id": _l("订单"), "order_no": _l("订单号"), "orders": _l("订单"),
    "line_id": _l("订单行"), "scope": _l("授权范围"), "field": _l("字段"), "fields": _l("字段"),
    "client_id": "client id", "erp": _l("对接ERP"), "deployment": _l("部署方式"), "reason": _l("原因"),
    "old": _l("原值"), "new": _l("新值"), "role": _l("角色"), "via": _l("方式"), "source": _l("数据来源"),
    "added": _l("新增"), "skipped": _l("跳过"), "enterprise_id": _l("企业"), "enterprise_ids": _l("企业"),
    "enterprises": _l("企业数"), "error": _l("错误"), "attempts": _l("尝试次数"), "lines": _l("订单行数"),
    "recipients": _l("收件人数"), "status": _l("状态"), "comment": _l("意见"), "fee_cents": _l("费用"),
    "payment_ref": _l("付款凭证号"), "on_behalf": _l("代对方确认"), "for_tenant": _l("代表租户"),
    "request_id": _l("申请"),
    "old_tax_id": _l("原税号"), "new_tax_id": _l("新税号"), "replaced_by": _l("新分配"),
    "credentials_disabled": _l("停用的授权信息"), "validity_restarted": _l("重新计算有效期"),
    "q": _l("搜索"), "summary": _l("说明"),
}
FIELD_NAMES = {"client_secret": "client secret", "encry_key": "EncryKey", "client_id": "client id"}
VIA_LABELS = {"form": _l("新增企业表单"), "import": _l("批量导入"), "page": _l("账号管理页面"), "cli": _l("命令行"),
              "api": _l("接口")}
VALUE_LABELS = {
    "kind": {**EMAIL_KINDS, **REQUEST_KINDS}, "scope": SCOPE_LABELS, "source": SOURCE_LABELS,
    "role": ROLE_LABELS, "status": REQUEST_STATUSES, "via": VIA_LABELS, "field": FIELD_NAMES,
    "fields": FIELD_NAMES,
}
# Codes a single event records in a key that elsewhere holds free text (a support agent's 原因).
EVENT_VALUE_LABELS = {
    ("api.unauthorised", "reason"): {"missing": _l("缺少访问令牌"), "wrong": _l("访问令牌错误")},
    ("authorization.email_queued", "reason"): {"tax_change": _l("权益税号变更"),
                                                    "reissue": _l("重新生成授权")},
}
# Keys whose value is a label of the catalogue stored as shown when it was recorded.
SHOWN_TRANSLATED = {"erp", "deployment"}
# Ids shown as a reference (`订单 #12`), not as a bare number.
REFERENCES = {"order_id", "line_id", "enterprise_id", "enterprise_ids", "request_id", "replaced_by"}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, ""))


def action_choices() -> dict[str, str | dict[str, str]]:
    """The 操作 filter (WTForms' shorthand: value → label, or an optgroup of them): all, then
    per group the whole group (`order.`) and each of its events."""
    choices: dict[str, str | dict[str, str]] = {"": _("全部操作")}
    for group, label in GROUP_LABELS.items():
        choices[str(label)] = {f"{group}.": _("%(label)s：全部", label=label), **{
            action: str(text) for action, text in ACTION_LABELS.items()
            if action.split(".")[0] == group}}
    return choices


def action_values() -> set[str]:
    """Every value the filter offers."""
    values = set()
    for value, item in action_choices().items():
        values |= set(item) if isinstance(item, dict) else {value}
    return values


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


def detail_value(key: str, value, action: str = "") -> str:
    """A detail value in words: lists joined, yes/no, known codes named, ids as references."""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if key == "fee_cents" and isinstance(value, int):
        return f"¥{value / 100:g}"
    names = EVENT_VALUE_LABELS.get((action, key)) or VALUE_LABELS.get(key, {})
    if isinstance(value, list | tuple):
        shown = [detail_value(key, v, action) for v in value]
        return "、".join(shown) if shown else "—"
    if isinstance(value, dict):
        return "；".join(f"{detail_label(k)} {detail_value(k, v, action)}" for k, v in value.items())
    if key in REFERENCES:
        return f"#{value}"
    if key in SHOWN_TRANSLATED and isinstance(value, str):
        return _(value)  # an ERP or deployment label, stored in the seed's words
    return str(names.get(value, value)) if isinstance(value, str) else str(value)
