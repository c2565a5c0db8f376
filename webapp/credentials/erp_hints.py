"""Configuration hints for the authorization email, per ERP (星瀚 / 星空 / EAS / 其他) and 部署方式.

The ERP steps are those of the 发票云 integration guides: EAS and 星空企业版 take the enterprise
credentials in 金税互联设置, then 通讯基本设置; 报销/影像 on the 组织单元; 星瀚 and 星空旗舰版
connect by 移动云初始化 with their own app credentials. One place, plain data.
"""
from flask_babel import lazy_gettext as _l

ENTERPRISE_WARNING = _l("请使用企业授权（按企业税号）的 client id、client secret、EncryKey，不要使用租户授权。")
_JINSHUI_REST = [
    _l("保存后在【通讯基本设置】中确认并保存通讯参数。"),
    _l("使用报销 / 影像时，在【组织单元】上填写税号、clientid、clientsecret。"),
]

ERP_HINTS = {
    "xinghan": [_l("星瀚通过【移动云初始化】连接发票云：填写地址和数据中心 id，使用其自己的应用凭证，"
                   "不填写 client id、client secret、EncryKey 三项。"),
                _l("如需以标准接口自行对接，使用该企业（税号）的企业授权。")],
    "xingkong": [_l("星空企业版：打开【金税互联设置】，按组织新增：组织、操作类型（开票 / 收票各一条）、"
                    "http 地址（下方该企业的开票 / 收票推送地址，已填好 taxNo 和 clientId）、"
                    "发票云ID（client id）、发票云密钥（client secret）、加密密钥（EncryKey）。"),
                 *_JINSHUI_REST,
                 _l("星空旗舰版：通过【移动云初始化】连接发票云：填写地址和数据中心 id，使用其自己的应用凭证，"
                    "不填写 client id、client secret、EncryKey 三项。"),
                 ENTERPRISE_WARNING],
    "eas": [_l("在 EAS 中打开【金税互联设置】，按组织新增：组织、操作类型（开票 / 收票各一条）、"
               "http 地址（下方该企业的开票 / 收票推送地址，已填好 taxNo 和 clientId）、"
               "发票云ID（client id）、发票云密钥（client secret）、加密密钥（EncryKey）。"),
            *_JINSHUI_REST, ENTERPRISE_WARNING],
    "other": [
        _l("您选择的 ERP 为“其他”：请将本邮件转交负责系统对接的实施或开发人员，按标准接口对接。"),
        _l("获取令牌：POST /base/oauth/token，JSON {client_id, sign, timestamp}；sign = MD5 / SHA-256 / "
           "HMAC-SHA256(client_id + client_secret + timestamp)，小写十六进制。"),
        _l("业务请求体为 Base64(AES-128-ECB(JSON, PKCS#7))，密钥为 16 位 EncryKey；URL 带 access_token 和 reqid。"),
        _l("登录发票云激活中心【授权信息】→【接入指引】可看到 curl 和 Python 示例，并用连接检查验证授权信息。"),
        ENTERPRISE_WARNING,
    ],
}

DEPLOYMENT_HINTS = {
    "public": [
        _l("部署方式为公有云：无需安装任何服务，在 ERP 中填写授权信息后即可使用。"),
    ],
    "private": [
        _l("部署方式为私有化部署：请确认部署 ERP 的服务器可以访问发票云服务地址（由实施人员提供），"
           "并在私有化环境的发票云配置中填写同样的授权信息。"),
        _l("如服务器有出网白名单，请先放通发票云服务地址。"),
    ],
}

MISSING_HINT = [_l("尚未选择对接ERP及部署方式，请联系在线客服获取配置指引。")]


def hints_for(erp: str | None, deployment: str | None) -> list[str]:
    """The configuration steps for one order's ERP and deployment choice, in the current
    language (the authorization email renders inside its recipient's)."""
    if erp not in ERP_HINTS or deployment not in DEPLOYMENT_HINTS:
        return [str(hint) for hint in MISSING_HINT]
    return [str(hint) for hint in ERP_HINTS[erp] + DEPLOYMENT_HINTS[deployment]]
