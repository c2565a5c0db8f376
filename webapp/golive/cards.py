"""Per-ERP setup cards: where each value goes in 星瀚 / 星空 / EAS, or the standard-API recipe.

Plain data built per enterprise; the 授权信息 page renders secret fields masked (显示 reveals
them, audited) and the authorization email renders them in clear. The menu paths are those of
the 发票云 integration guides (金税互联设置 in EAS / 星空企业版, 移动云初始化 in 星瀚 / 星空旗舰版).
"""
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import current_app

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.golive.environments import api_base
from webapp.golive.signing import SIGN_ORDER
from webapp.models.credential import ENVIRONMENT_LABELS, PRODUCTION, TEST

WARNING = _l("请使用企业授权（按企业税号）的 client id、client secret、EncryKey，不要使用租户授权。")
PUSH_PATHS = {"issue": _l("开票"), "receive": _l("收票")}
# EAS chooses the environment with its invoicecloud.not_prod parameter.
EAS_NOT_PROD = {TEST: "true", PRODUCTION: "false"}


@dataclass
class Field:
    label: str
    value: str
    kind: str = "text"  # text, client_id, client_secret, encry_key (the last two are secret)


@dataclass
class Section:
    title: str
    path: str
    fields: list[Field] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Card:
    erp: str
    title: str
    sections: list[Section]
    environment: str = PRODUCTION
    recipe: dict | None = None  # 其他: the standard-API calls with curl and Python

    @property
    def environment_label(self) -> str:
        return str(ENVIRONMENT_LABELS[self.environment])

    @property
    def base_url(self) -> str:
        return api_base(self.environment)


def push_base(kind: str, environment: str = PRODUCTION) -> str:
    """The 发票云 push address for 开票 (issue) or 收票 (receive) up to its query, ending in ? or
    &; GOLIVE_PUSH_URL_ISSUE / _RECEIVE replace the 正式环境 one."""
    base = (environment == PRODUCTION and current_app.config.get(f"GOLIVE_PUSH_URL_{kind.upper()}")
            or f"{api_base(environment)}/base/push/{kind}")
    return f"{base}{'&' if '?' in base else '?'}"


def push_url(kind: str, tax_id: str, client_id: str, environment: str = PRODUCTION,
             base: str | None = None) -> str:
    """The push address with taxNo and clientId (`base`: push_base's, when already known)."""
    return (base or push_base(kind, environment)) + urlencode({"taxNo": tax_id,
                                                                "clientId": client_id})


def push_kinds(products) -> dict[str, str]:
    """The push addresses a tax ID needs: 开票 if it holds 开票, 收票 if it holds 收票."""
    return {kind: label for kind, label in PUSH_PATHS.items() if kind in set(products)}


def _not_prod(environment: str) -> Section:
    """EAS picks the environment with its invoicecloud.not_prod parameter."""
    return Section(
        title=_("EAS 参数 invoicecloud.not_prod"), path=_("参数设置 → invoicecloud.not_prod"),
        fields=[Field("invoicecloud.not_prod", EAS_NOT_PROD[environment])],
        notes=[_("true 连接测试环境，false 连接正式环境：与本页填写的授权所属环境一致，"
                 "测试环境的授权配 true，正式环境的授权配 false。")])


def _jinshui(enterprise, client_id: str, products, environment: str) -> list[Section]:
    """EAS and 星空企业版: 金税互联设置 per organisation and 操作类型 (one per product the
    tax ID holds), then 通讯基本设置."""
    sections = []
    for kind, label in push_kinds(products).items():
        sections.append(Section(
            title=_("金税互联设置（操作类型：%(label)s）", label=label), path=_("金税互联设置 → 新增"),
            fields=[Field(_("组织"), enterprise.name), Field(_("操作类型"), label),
                    Field(_("http 地址"), push_url(kind, enterprise.tax_id, client_id, environment),
                          "url"),
                    Field(_("发票云ID"), client_id, "client_id"),
                    Field(_("发票云密钥"), "", "client_secret"), Field(_("加密密钥"), "", "encry_key")]))
    sections.append(Section(title=_("通讯基本设置"), path=_("通讯基本设置"),
                            notes=[_("保存金税互联设置后，在通讯基本设置中确认并保存通讯参数。")]))
    sections.append(Section(
        title=_("报销 / 影像"), path=_("组织单元"),
        fields=[Field(_("税号"), enterprise.tax_id), Field("clientid", client_id, "client_id"),
                Field("clientsecret", "", "client_secret")],
        notes=[_("使用报销、影像时，在该组织单元上填写税号、clientid、clientsecret。")]))
    return sections


def _mobile_cloud() -> Section:
    return Section(
        title=_("移动云初始化"), path=_("移动云初始化"),
        notes=[_("星瀚 / 星空旗舰版通过移动云初始化连接发票云：填写地址和数据中心 id，使用星瀚 / 星空旗舰版"
               "自己的应用凭证，不填写本页的 client id、client secret、EncryKey 三项。"),
               _("如需以标准接口自行对接，仍使用该企业（税号）的企业授权。")])


def recipe(client_id: str, environment: str = PRODUCTION) -> dict:
    """The standard-API recipe, with a curl and a Python example that work against the
    environment's base URL (by default this portal's connection check)."""
    base = api_base(environment)
    curl = f"""CLIENT_ID='{client_id}'
CLIENT_SECRET='<client secret>'
ENCRY_KEY='<EncryKey>'
TS=$(date +%s)
SIGN=$(printf '%s' "$CLIENT_ID$CLIENT_SECRET$TS" | md5sum | cut -d' ' -f1)
TOKEN=$(curl -s -X POST '{base}/base/oauth/token' -H 'Content-Type: application/json' \\
  -d "{{\\"client_id\\": \\"$CLIENT_ID\\", \\"sign\\": \\"$SIGN\\", \\"timestamp\\": \\"$TS\\", \\"encType\\": 0}}" \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
KEY_HEX=$(printf '%s' "$ENCRY_KEY" | od -An -tx1 | tr -d ' \\n')
BODY=$(printf '%s' '{{"hello": "world"}}' | openssl enc -aes-128-ecb -K "$KEY_HEX" | base64 -w0)
curl -s -X POST "{base}/base/check/echo?access_token=$TOKEN&reqid=$(date +%s%3N)$(shuf -i 100-999 -n1)" \\
  -H 'Content-Type: application/json' --data "$BODY"
"""
    python = f"""import base64, hashlib, json, random, time
import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BASE = "{base}"
CLIENT_ID, CLIENT_SECRET, ENCRY_KEY = "{client_id}", "<client secret>", "<EncryKey>"

ts = str(int(time.time()))
sign = hashlib.md5((CLIENT_ID + CLIENT_SECRET + ts).encode()).hexdigest()
token = requests.post(BASE + "/base/oauth/token", json={{
    "client_id": CLIENT_ID, "sign": sign, "timestamp": ts, "encType": 0}}).json()["access_token"]

padder = padding.PKCS7(128).padder()
raw = padder.update(json.dumps({{"hello": "world"}}).encode()) + padder.finalize()
enc = Cipher(algorithms.AES(ENCRY_KEY.encode()), modes.ECB()).encryptor()
body = base64.b64encode(enc.update(raw) + enc.finalize()).decode()
reqid = f"{{int(time.time() * 1000)}}{{random.randint(0, 999):03d}}"
answer = requests.post(BASE + "/base/check/echo", params={{"access_token": token, "reqid": reqid}},
                       data=body, headers={{"Content-Type": "application/json"}}).json()
print(answer["errcode"], answer["description"], answer.get("data"))"""
    return dict(
        token=_("POST %(base)s/base/oauth/token，JSON {\"client_id\", \"sign\", \"timestamp\"}（可加 encType）",
                base=base),
        signs=[f"encType 0：sign = MD5({SIGN_ORDER})",
               f"encType 1：sign = SHA-256({SIGN_ORDER})",
               f"encType 2：sign = HMAC-SHA256(key = client_secret, {SIGN_ORDER})",
               _("直接拼接，无分隔符；结果为小写十六进制；timestamp 为秒或毫秒，与服务器相差不超过 5 分钟。")],
        body=_("业务请求体 = Base64(AES-128-ECB(JSON, PKCS#7))，密钥为 16 位 EncryKey 原文；"
             "URL 带 access_token 和 reqid（13 位毫秒时间戳 + 3 位随机数字），Content-Type: application/json。"),
        echo=_("POST %(base)s/base/check/echo?access_token=…&reqid=…："
               "连接检查，返回该授权所属税号和解密后的内容。",
               base=base),
        curl=curl, python=python)


def card_for(erp: str | None, enterprise, client_id: str, products=PUSH_PATHS,
             environment: str = PRODUCTION) -> Card:
    """The setup card of one enterprise (tax ID) for the order's ERP, for the credential of
    one environment; `products`: the codes of the products it holds (金税互联设置 has a
    section per 开票 / 收票 it holds)."""
    if erp == "eas":
        return Card("eas", "EAS", [_not_prod(environment)]
                    + _jinshui(enterprise, client_id, products, environment), environment)
    if erp == "xingkong":
        sections = _jinshui(enterprise, client_id, products, environment)
        sections[0].notes.insert(0, _("星空企业版：按以下金税互联设置填写。星空旗舰版：见最后的移动云初始化。"))
        return Card("xingkong", _("星空"), sections + [_mobile_cloud()], environment)
    if erp == "xinghan":
        return Card("xinghan", _("星瀚"), [_mobile_cloud()], environment)
    return Card("other", _("其他（标准接口）"), [Section(
        title=_("标准接口"), path=_("业务系统的发票云接口配置"),
        fields=[Field(_("接口地址"), api_base(environment), "url"),
                Field(_("企业税号"), enterprise.tax_id), Field("client id", client_id, "client_id"),
                Field("client secret", "", "client_secret"), Field("EncryKey", "", "encry_key")])],
        environment, recipe=recipe(client_id, environment))
