"""Configuration hints for the authorization email, per ERP (星瀚 / 星空 / EAS / 其他) and 部署方式.

The seed gives no ERP menu paths: these steps are our best description and are meant to be
checked and edited by the product team (one place, plain data).
"""

ERP_HINTS = {
    "xinghan": [
        "在星瀚中打开【发票云】-【基础配置】-【发票云授权配置】，新增一条配置。",
        "租户级参数填写本邮件中“租户授权”的 client id、client secret、EncryKey。",
        "每个开票/收票组织的税号，填写该企业“企业授权”中的 client id、client secret、EncryKey。",
        "保存后点击【测试连接】，提示成功即可使用。",
    ],
    "xingkong": [
        "在星空中打开【系统管理】-【发票云】-【发票云参数设置】。",
        "在“租户参数”中填写本邮件中“租户授权”的 client id、client secret、EncryKey。",
        "在“组织参数”中按税号逐一填写各企业“企业授权”的 client id、client secret、EncryKey。",
        "保存并执行【连接测试】。",
    ],
    "eas": [
        "在 EAS 中打开【系统平台】-【发票云集成】-【集成参数配置】。",
        "租户参数填写本邮件中“租户授权”的 client id、client secret、EncryKey。",
        "按纳税主体（税号）维护各企业“企业授权”的 client id、client secret、EncryKey。",
        "配置完成后重启发票云集成服务或重新登录使参数生效。",
    ],
    "other": [
        "您选择的 ERP 为“其他”：请将本邮件转交负责系统对接的实施或开发人员。",
        "接口调用使用“租户授权”的 client id、client secret 获取访问令牌；按税号调用时使用对应“企业授权”。",
        "EncryKey（16 位）用于报文加解密，请勿泄露。",
        "对接过程中如有疑问，请联系在线客服并提供下单企业全称及订单号。",
    ],
}

DEPLOYMENT_HINTS = {
    "public": [
        "部署方式为公有云：无需安装任何服务，在 ERP 中填写授权信息后即可使用。",
    ],
    "private": [
        "部署方式为私有化部署：请确认部署 ERP 的服务器可以访问发票云服务地址（由实施人员提供），"
        "并在私有化环境的发票云配置中填写同样的授权信息。",
        "如服务器有出网白名单，请先放通发票云服务地址。",
    ],
}

MISSING_HINT = ["尚未选择对接ERP及部署方式，请联系在线客服获取配置指引。"]


def hints_for(erp: str | None, deployment: str | None) -> list[str]:
    """The configuration steps for one order's ERP and deployment choice."""
    if erp not in ERP_HINTS or deployment not in DEPLOYMENT_HINTS:
        return list(MISSING_HINT)
    return ERP_HINTS[erp] + DEPLOYMENT_HINTS[deployment]
