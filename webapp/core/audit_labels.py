"""What 操作日志 shows for each entry: a Chinese name for every event the code records, the
detail's keys and values in words, and the list the page's 操作 filter is chosen from.

Every `audit.record(...)` action must have a label here (tests/core/test_auditlog.py reads the
code for them); a new event without one fails the suite.
"""
from webapp.models.credential import SCOPE_LABELS
from webapp.models.enterprise import SOURCE_LABELS
from webapp.models.outbox import KIND_LABELS as EMAIL_KINDS
from webapp.models.request import KIND_LABELS as REQUEST_KINDS
from webapp.models.request import STATUS_LABELS as REQUEST_STATUSES
from webapp.models.user import ROLE_LABELS

# Groups in the order the filter lists them; an action belongs to the group before its dot.
GROUP_LABELS = {
    "order": "订单", "activation": "产品激活", "tenant": "租户", "enterprise": "企业",
    "allocation": "分配权益", "credential": "授权信息", "authorization": "授权邮件",
    "golive": "上线", "request": "申请（智能审批）", "support": "客服", "entitlements": "权益查询",
    "email": "邮件", "reminder": "到期提醒", "user": "账号", "auth": "登录", "api": "接口",
}
ACTION_LABELS = {
    "order.created": "创建订单",
    "order.delivered": "订单交付",
    "order.activation_email_queued": "发送激活邮件",
    "order.activated": "产品激活",
    "activation.key_accepted": "操作密钥验证通过",
    "activation.key_wrong": "操作密钥错误",
    "activation.key_blocked": "操作密钥错误次数过多，已暂停",
    "activation.erp_chosen": "选择对接ERP及部署方式",
    "tenant.created": "创建租户",
    "enterprise.created": "新增企业",
    "enterprise.imported": "批量导入企业",
    "allocation.commit": "确认分配",
    "allocation.replaced": "权益税号变更",
    "enterprise.moved_out": "企业转出（企业变更租户）",
    "enterprise.moved_in": "企业转入（企业变更租户）",
    "credential.created": "生成授权信息",
    "credential.revealed": "显示密钥",
    "credential.rotated": "重置密钥",
    "credential.reissued": "重新生成授权",
    "authorization.email_queued": "发送授权邮件",
    "authorization.rotation_email_queued": "发送重置后的授权邮件",
    "golive.verified": "连接已验证",
    "request.submitted": "提交申请",
    "request.accepted": "对方确认申请",
    "request.refused": "对方拒绝申请",
    "request.approved": "审批通过",
    "request.rejected": "审批驳回",
    "request.paid": "标记已付款",
    "request.executed": "申请已执行",
    "request.failed": "申请执行失败",
    "support.activation_resent": "重新推送激活邮件",
    "support.contact_email_changed": "修改联系邮箱",
    "entitlements.exported": "导出权益",
    "email.queued": "邮件入队",
    "email.sent": "邮件已发送",
    "email.failed": "邮件发送失败",
    "reminder.sent": "到期提醒",
    "user.created": "创建账号",
    "user.role_changed": "修改角色",
    "user.disabled": "停用账号",
    "user.enabled": "启用账号",
    "user.password_link_sent": "发送设置密码邮件",
    "user.password_set": "设置密码",
    "user.password_changed": "修改密码",
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.login_blocked": "登录失败次数过多，已暂停",
    "auth.logout": "退出登录",
    "auth.password_reset_requested": "申请忘记密码",
    "support.password_reset_sent": "客服发送重设密码邮件",
    "api.unauthorised": "接口调用未授权",
}

DETAIL_LABELS = {
    "kind": "类型", "to": "收件人", "tax_id": "企业税号", "tax_ids": "企业税号", "name": "企业名称",
    "count": "数量", "product": "产品", "order_id": "订单", "order_no": "订单号", "orders": "订单",
    "line_id": "订单行", "scope": "授权范围", "field": "字段", "fields": "字段",
    "client_id": "client id", "erp": "对接ERP", "deployment": "部署方式", "reason": "原因",
    "old": "原值", "new": "新值", "role": "角色", "via": "方式", "source": "数据来源",
    "added": "新增", "skipped": "跳过", "enterprise_id": "企业", "enterprise_ids": "企业",
    "enterprises": "企业数", "error": "错误", "attempts": "尝试次数", "lines": "订单行数",
    "recipients": "收件人数", "status": "状态", "comment": "意见", "fee_cents": "费用",
    "payment_ref": "付款凭证号", "on_behalf": "代对方确认", "for_tenant": "代表租户", "request_id": "申请",
    "old_tax_id": "原税号", "new_tax_id": "新税号", "replaced_by": "新分配",
    "credentials_disabled": "停用的授权信息", "validity_restarted": "重新计算有效期",
    "q": "搜索", "summary": "说明",
}
FIELD_NAMES = {"client_secret": "client secret", "encry_key": "EncryKey", "client_id": "client id"}
VIA_LABELS = {"form": "新增企业表单", "import": "批量导入", "page": "账号管理页面", "cli": "命令行",
              "api": "接口"}
VALUE_LABELS = {
    "kind": {**EMAIL_KINDS, **REQUEST_KINDS}, "scope": SCOPE_LABELS, "source": SOURCE_LABELS,
    "role": ROLE_LABELS, "status": REQUEST_STATUSES, "via": VIA_LABELS, "field": FIELD_NAMES,
    "fields": FIELD_NAMES,
}
# Codes a single event records in a key that elsewhere holds free text (a support agent's 原因).
EVENT_VALUE_LABELS = {
    ("api.unauthorised", "reason"): {"missing": "缺少访问令牌", "wrong": "访问令牌错误"},
    ("authorization.email_queued", "reason"): {"tax_change": "权益税号变更", "reissue": "重新生成授权"},
}
# Ids shown as a reference (`订单 #12`), not as a bare number.
REFERENCES = {"order_id", "line_id", "enterprise_id", "enterprise_ids", "request_id", "replaced_by"}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "")


def action_choices() -> dict[str, str | dict[str, str]]:
    """The 操作 filter (WTForms' shorthand: value → label, or an optgroup of them): all, then
    per group the whole group (`order.`) and each of its events."""
    choices: dict[str, str | dict[str, str]] = {"": "全部操作"}
    for group, label in GROUP_LABELS.items():
        choices[label] = {f"{group}.": f"{label}：全部", **{
            action: text for action, text in ACTION_LABELS.items() if action.split(".")[0] == group}}
    return choices


def action_values() -> set[str]:
    """Every value the filter offers."""
    values = set()
    for value, item in action_choices().items():
        values |= set(item) if isinstance(item, dict) else {value}
    return values


def detail_label(key: str) -> str:
    return DETAIL_LABELS.get(key, key)


def detail_value(key: str, value, action: str = "") -> str:
    """A detail value in words: lists joined, yes/no, known codes named, ids as references."""
    if isinstance(value, bool):
        return "是" if value else "否"
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
    return names.get(value, str(value)) if isinstance(value, str) else str(value)
