"""The OpenAPI 3 description served at GET /api/openapi.json (kept by hand, next to the code)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from webapp.golive.check import ERRCODES, OK, REPLAY_RULE
from webapp.golive.environments import CHECK_PREFIXES
from webapp.orders.service import MAX_QUANTITY

_ERRORS = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {
        "type": "object",
        "description": _l("字段名 → 错误说明；数组项写作 lines[0].quantity，整体问题写作 body"),
        "additionalProperties": {"type": "string"},
    }},
    "example": {"errors": {"contact_email": _l("邮箱地址无效：%(email)s", email="not-an-email"),
                           "lines[0].quantity": _l("必须大于 0")}},
}
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}

# An order as a sales system sends it: its names are Chinese data, whatever the reader's language.
_ORDER_EXAMPLE = {"order_no": "SO-2026-0001", "customer": "苏州示例科技有限公司",  # i18n: data
                  "contact_email": "buyer@example.com", "sales": "王销售",
                  "valid_until": "2027-12-31", "delivered": True,
                  "lines": [{"product": "issue", "quantity": 3}, {"product": "receive", "quantity": 2}]}
_ORDER_IN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["order_no", "customer", "contact_email", "lines"],
    "properties": {
        "order_no": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
                     "description": _l("订单号（唯一）")},
        "customer": {"type": "string", "minLength": 1, "maxLength": 200, "description": _l("下单企业全称")},
        "contact_email": {"type": "string", "format": "email", "minLength": 3,
                          "maxLength": 254,
                          "description": _l("联系邮箱：激活邮件发往此地址")},
        "sales": {"type": "string", "maxLength": 100, "description": _l("销售人员")},
        "valid_until": {"type": "string", "format": "date", "description": _l("有效期（不早于今天）")},
        "delivered": {"type": "boolean", "default": False,
                      "description": _l("true：创建后立即标记已交付并发送激活邮件")},
        "lines": {
            "type": "array", "minItems": 1, "maxItems": 50,
            "items": {
                "type": "object", "required": ["product", "quantity"],
                "properties": {
                    "product": {"type": "string", "minLength": 1, "maxLength": 40,
                                "description": _l("产品代码：issue（发票云开票）、receive（发票云收票）、"
                                                  "image（发票云影像）、archive（电子档案）或运营新增的代码"),
                                "example": "issue"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                },
            },
        },
    },
    "example": _ORDER_EXAMPLE,
}

_ORDER_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "order_no": {"type": "string"},
        "delivered": {"type": "boolean"},
        "url": {"type": "string", "description": _l("客服工作台中的订单页")},
    },
}


def _check_error() -> dict:
    errcodes = _("；").join(f"{code} {meaning}" for code, meaning in ERRCODES.items() if code != OK)
    return {
        "type": "object", "required": ["errcode", "description"],
        "properties": {"errcode": {"type": "string", "enum": sorted(ERRCODES)},
                       "description": {"type": "string"}},
        "description": _("HTTP 状态总是 200，以 errcode 判断结果（0000 成功）。errcode：%(errcodes)s",
                         errcodes=errcodes),
        "example": {"errcode": "1003",
                    "description": _("sign 不匹配：应为 client_id + client_secret + timestamp …")},
    }


def _token_in() -> dict:
    return {"type": "object", "required": ["client_id", "sign", "timestamp"], "properties": {
        "client_id": {"type": "string", "description": _l("企业授权的 client id")},
        "timestamp": {"oneOf": [{"type": "string"}, {"type": "integer"}],
                      "description": _l("秒或毫秒时间戳（字符串或数字），与服务器相差 ≤ 5 分钟")},
        "sign": {"type": "string", "description": _("小写十六进制：encType 0 MD5 / 1 SHA-256 / 2 "
                                                  "HMAC-SHA256(key=client_secret)，对 client_id + "
                                                  "client_secret + timestamp 直接拼接。") + str(REPLAY_RULE)},
        "encType": {"type": "integer", "enum": [0, 1, 2], "description": _l("省略时三种都接受")},
    }}
_TOKEN_OUT = {
    "type": "object",
    "properties": {"errcode": {"type": "string", "example": "0000"}, "description": {"type": "string"},
                   "access_token": {"type": "string"}, "token_type": {"type": "string", "example": "bearer"},
                   "expires_in": {"type": "integer", "example": 7200}},
}
_ECHO_OUT = {
    "type": "object",
    "properties": {"errcode": {"type": "string", "example": "0000"}, "description": {"type": "string"},
                   "data": {"type": "object", "properties": {
                       "taxNo": {"type": "string", "description": _l("该授权所属企业税号")},
                       "enterpriseName": {"type": "string"}, "clientId": {"type": "string"},
                       "environment": {"type": "string", "enum": ["test", "production"],
                                       "description": _l("该授权所属环境：test 测试环境，production 正式环境")},
                       "reqid": {"type": "string"},
                       "payload": {"description": _l("解密后的请求 JSON")}}}},
}


def _check_paths() -> dict:
    """The connection check (发票云 standard calls for the credentials this portal issued): the
    正式环境 pair, and the 测试环境 pair under /test (each answers only its own credentials)."""
    paths = {}
    for prefix in CHECK_PREFIXES.values():
        for path, operation in _check_operations().items():
            operation = dict(operation["post"])
            if prefix:
                operation["operationId"] += "Test"
                operation["summary"] = _("%(summary)s（测试环境）", summary=operation["summary"])
            paths[prefix + path] = {"post": operation}
    return paths


def _check_operations() -> dict:
    error = {"$ref": "#/components/schemas/CheckError"}
    return {
        "/base/oauth/token": {"post": {
            "summary": _l("连接检查：获取令牌（企业授权）"), "operationId": "checkToken", "security": [],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/TokenIn"}}}},
            "responses": {"200": _json({"oneOf": [{"$ref": "#/components/schemas/TokenOut"}, error]},
                                       _("每个回答（包括拒绝）：errcode 0000 为成功，其余见 CheckError；"
                                         "1009 另带 Retry-After 头；请求方法错误另带 Allow: POST 头"))},
        }},
        "/base/check/echo": {"post": {
            "summary": _l("连接检查：加密回显"), "operationId": "checkEcho", "security": [],
            "parameters": [
                {"name": "access_token", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "reqid", "in": "query", "required": True,
                 "schema": {"type": "string", "pattern": "^[0-9]{16}$"},
                 "description": _l("13 位毫秒时间戳 + 3 位随机数字（ASCII 数字）")}],
            "requestBody": {"required": True, "description": _("Base64(AES-128-ECB(JSON, PKCS#7))，"
                            "密钥为 16 位 EncryKey；原文作为请求体，Content-Type: application/json"),
                            "content": {"application/json": {"schema": {"type": "string", "format": "byte"}}}},
            "responses": {"200": _json({"oneOf": [{"$ref": "#/components/schemas/EchoOut"}, error]},
                                       _("每个回答（包括拒绝）：errcode 0000 为成功，其余见 CheckError"))},
        }},
    }


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _resolved(value):
    """The document with its lazy (module-level) descriptions in the current language."""
    if isinstance(value, dict):
        return {key: _resolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item) for item in value]
    return str(value) if isinstance(value, LazyString) else value


def spec(server_url: str) -> dict:
    """The OpenAPI document, with this deployment's base URL as its server; its descriptions
    in the request's language (errcodes, fields and examples' data stay as they are)."""
    return _resolved({
        "openapi": "3.0.3",
        "info": {
            "title": _l("发票云激活中心 API"),
            "version": "1.0.0",
            "description": _("销售系统推送订单。认证：Authorization: Bearer <API_TOKEN>。"
                             "请求有误时不写入任何数据。/base/… 为连接检查（发票云标准接口："
                             "企业授权签名获取令牌、EncryKey 加密回显），不用 API_TOKEN。"),
        },
        "servers": [{"url": server_url}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"OrderIn": _ORDER_IN, "OrderOut": _ORDER_OUT, "FieldErrors": _ERRORS,
                        "Error": _ERROR, "CheckError": _check_error(), "TokenIn": _token_in(),
                        "TokenOut": _TOKEN_OUT, "EchoOut": _ECHO_OUT},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/orders": {"post": {
                "summary": _l("创建订单（可选：同时标记已交付）"),
                "operationId": "createOrder",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/OrderIn"}}}},
                "responses": {
                    "201": _json({"$ref": "#/components/schemas/OrderOut"}, _("已创建")),
                    "400": _json({"$ref": "#/components/schemas/FieldErrors"}, _("请求体不是 JSON")),
                    "401": _json({"$ref": "#/components/schemas/Error"}, _("缺少或错误的访问令牌")),
                    "409": _json({"$ref": "#/components/schemas/FieldErrors"}, _("订单号已存在")),
                    "422": _json({"$ref": "#/components/schemas/FieldErrors"},
                                 _("字段有误（缺少字段、邮箱无效、未知产品、数量 ≤ 0、超长…）")),
                    "429": _json({"$ref": "#/components/schemas/Error"}, _("令牌错误次数过多，稍后再试")),
                },
            }},
            "/api/openapi.json": {"get": {
                "summary": _l("本文档"), "operationId": "openapi", "security": [],
                "responses": {"200": {"description": _l("OpenAPI 3 文档")}},
            }},
            **_check_paths(),
        },
    })
