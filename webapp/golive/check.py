"""The connection check: the token call and the encrypted echo call for credentials we issued.

Each refusal names its cause (an errcode and a Chinese description an integrator can act on);
none ever contains a secret, an expected sign or a body. Every answer, refusals included, is
an HTTP 200 with an errcode, as the 发票云 API answers and its SDKs expect (they throw on any
other status before reading the errcode). Outcomes are recorded per credential
(ConnectionCheck) for the go-live status: a refusal's is remembered past the rollback of
the refused call (core/unit_of_work.py).

A repeated sign is answered like the first: the token is derived from the sign, so the same
client_id + timestamp + sign (two ERP workers starting in the same second) gets the same
unexpired token, whichever process answers. A sign is only usable inside its timestamp's
±5-minute window (1004 after that); nothing is refused as a replay.
"""
import logging
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial, wraps

from sqlalchemy import delete, func, or_, select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.core import audit, crypto, ids, jsonbody, unit_of_work
from webapp.core.text import bad_character
from webapp.core.unit_of_work import add_unique
from webapp.extensions import db
from webapp.golive import signing
from webapp.golive.environments import api_base
from webapp.models import CheckToken, ConnectionCheck, Credential, Enterprise
from webapp.models.credential import ENVIRONMENT_LABELS, PRODUCTION, SCOPE_TENANT
from webapp.orm import CST, utcnow

log = logging.getLogger(__name__)

OK = "0000"
WINDOW_SECONDS = 5 * 60
TOKEN_SECONDS = 2 * 60 * 60
TOKEN_PURPOSE = "golive-token"
SIGN_PURPOSE = "golive-sign"
TOKEN_FROM_SIGN = "golive-token-from-sign"
REQID_DIGITS = 16
MAX_CLIENT_ID = 128
MAX_BODY = 64 * 1024

# Every errcode the two calls answer, with what it means: the one list the OpenAPI
# description, the setup cards and the README show.
ERRCODES = {
    OK: _l("成功"),
    "1001": _l("未知的 client_id：未完整复制，或不是本平台签发的授权信息"),
    "1002": _l("client secret 已重置，请求（或令牌）仍来自旧的 client secret"),
    "1003": _l("sign 不匹配：说明应有的拼接顺序和算法"),
    "1004": _l("timestamp 超出服务器时间前后 5 分钟：请校准服务器时间"),
    "1005": _l("使用了租户授权：对接 ERP 请使用企业授权（按税号）"),
    "1006": _l("该授权信息已停用：请使用新授权邮件中的企业授权"),
    "1008": _l("请求格式错误：请求方法不是 POST、请求体超过 64 KB、不是 JSON 对象、JSON 嵌套过深，"
            "或字段缺失、含有控制字符"),
    "1009": _l("调用过于频繁：按来源地址限流（Retry-After 头给出秒数）；令牌 2 小时有效，请缓存复用"),
    "1010": _l("环境不匹配：测试环境的授权只能用于测试环境地址，正式环境的授权只能用于正式环境地址"),
    "2001": _l("access_token 无效或已过期：请重新获取令牌"),
    "2002": _l("请求体无法读取：不是 Base64、EncryKey 错误，或解密后不是 JSON"),
    "2003": _l("reqid 格式错误：应为 16 位数字（13 位毫秒时间戳 + 3 位随机数字）"),
    "9999": _l("系统繁忙：请稍后重试"),
}

REPLAY_RULE = (_l("同一 sign（同一 client_id + timestamp）在 timestamp 前后 5 分钟内重复请求，返回同一个 "
               "access_token（expires_in 为剩余秒数），不作为重放拒绝；超出 5 分钟即 1004。"))


@dataclass
class CheckError(Exception):
    """A refused call: errcode and description (answered in an HTTP 200, as the SDKs expect).

    `counted`: a failure of the caller, counted against its address and kept as the
    credential's last failure; a rate limit is not. `retry_after`: seconds, for 1009.
    """

    code: str
    message: str
    credential: Credential | None = None
    counted: bool = True
    retry_after: int | None = None

    def __post_init__(self):
        self.message = str(self.message)  # a lazy translation, resolved in the request's language


def _when(moment: datetime) -> str:
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def _timestamp(value, now: datetime) -> str:
    """The timestamp as sent (seconds or milliseconds), refused outside ±5 minutes."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{1,16}", text):
        raise CheckError("1008", _("timestamp 必须是秒（10 位）或毫秒（13 位）时间戳"))
    seconds = int(text) / 1000 if len(text) >= 12 else int(text)
    drift = seconds - now.timestamp()
    if abs(drift) > WINDOW_SECONDS:
        raise CheckError("1004", _("timestamp 超出允许范围（服务器时间前后 5 分钟）：请求时间与服务器相差 %(abs)s 秒，"
                                   "请校准业务系统服务器时间；服务器当前时间 %(when)s（北京时间）",
                                   abs=abs(int(drift)), when=_when(now)))
    return text


def _enc_types(body: dict) -> tuple[int, ...]:
    """The encType the client names (0, 1, 2), or all three when it names none."""
    given = body.get("encType", body.get("enc_type"))
    if given in (None, ""):
        return (0, 1, 2)
    if str(given) in ("0", "1", "2"):
        return (int(given),)
    raise CheckError("1008", _("encType 只能是 0（MD5）、1（SHA-256）或 2（HMAC-SHA256）"))


def _load(client_id: str) -> Credential:
    cred = None if len(client_id) > MAX_CLIENT_ID else db.session.scalar(
        select(Credential).where(Credential.client_id == client_id))
    if cred is None:
        raise CheckError("1001", _("未知的 client_id：%(client_id)s。请核对是否完整复制（不含空格），"
                                   "以及是否为本平台签发的授权信息",
                                   client_id=client_id[:64]))
    return cred


def _refuse_unusable(cred: Credential) -> None:
    if cred.is_disabled:
        raise CheckError("1006", _("该授权信息已停用（%(when)s），请使用新的授权邮件中的企业授权",
                                   when=_when(cred.disabled_at)), cred)
    if cred.scope == SCOPE_TENANT:
        raise CheckError("1005", _("这是租户授权的 client_id：对接 ERP 请使用企业授权（按企业税号）的 "
                                 "client id、client secret 和 EncryKey，不要使用租户授权"), cred)


def _refuse_other_environment(cred: Credential, environment: str) -> None:
    """A credential answers only at the address of its own environment (the top support question
    of going live: a test client id against the production URL, or the other way round)."""
    if cred.environment != environment:
        raise CheckError("1010", _("这是%(cred_env)s的授权信息，不能用于%(env)s的连接检查：%(env)s请使用"
                                   "%(env)s的企业授权；如要检查%(cred_env)s，请求地址应为 %(base)s",
                                   cred_env=ENVIRONMENT_LABELS[cred.environment],
                                   env=ENVIRONMENT_LABELS[environment],
                                   base=api_base(cred.environment)), cred)


def _verify_sign(cred: Credential, given: str, timestamp: str, enc_types) -> int:
    secret = crypto.decrypt(cred.client_secret_enc)
    found = signing.matching_type(given, cred.client_id, secret, timestamp, enc_types)
    if found is not None:
        return found
    if cred.previous_secret_enc:
        old = crypto.decrypt(cred.previous_secret_enc)
        if signing.matching_type(given, cred.client_id, old, timestamp, enc_types) is not None:
            raise CheckError("1002", _("client secret 已于 %(when)s（北京时间）重置，请求仍在使用旧的 client secret："
                                       "请使用重置后授权邮件中的新值",
                                       when=_when(cred.rotated_at)), cred)
    wrong = signing.misordered(given, cred.client_id, secret, timestamp, enc_types)
    types = "、".join(f"encType {t} = {signing.SIGN_TYPES[t]}" for t in enc_types)
    hint = _("拼接顺序用成了 %(wrong)s；", wrong=wrong) if wrong else ""
    raise CheckError("1003", _("sign 不匹配：%(hint)s应为 %(SIGN_ORDER)s 直接拼接（无分隔符，"
                               "timestamp 取请求中的原值）后计算 %(types)s，结果为小写十六进制。"
                               "请检查 client secret 是否完整、是否含空格",
                               hint=hint, SIGN_ORDER=signing.SIGN_ORDER, types=types), cred)


def _issued_recently(cred: Credential, ip: str | None, since: datetime) -> int:
    """Tokens issued since `since` to this credential or to this address (the larger count)."""
    by_cred, by_ip = db.session.execute(select(
        func.count().filter(CheckToken.credential_id == cred.id),
        func.count().filter(CheckToken.ip == ip))
        .where(CheckToken.created_at > since,
               or_(CheckToken.credential_id == cred.id, CheckToken.ip == ip))).one()
    return max(by_cred, by_ip)


def _remembering_failures(call):
    """A check whose refusal is kept as the credential's last failure (its go-live status)
    although the refused call's work is rolled back; a rate limit is no failure of the client."""

    @wraps(call)
    def checked(*args, ip: str | None, **kwargs):
        try:
            return call(*args, ip=ip, **kwargs)
        except CheckError as error:
            if error.counted:
                unit_of_work.remember(partial(record_failure, error, ip=ip))
            raise

    return checked


def _json_object(raw: bytes) -> dict:
    try:
        body = jsonbody.parse(raw)
    except jsonbody.BadJson as bad:
        raise CheckError("1008", _("请求体不是可读的 JSON（%(reason)s）：应为 JSON 对象 "
                                   "{\"client_id\", \"sign\", \"timestamp\"}",
                                   reason=bad.reason)) from None
    if not isinstance(body, dict):
        raise CheckError("1008", _("请求体必须是 JSON 对象：{\"client_id\", \"sign\", \"timestamp\"}"))
    return body


def _text_field(body: dict, name: str) -> str:
    """A required text field, trimmed; refused when missing or holding a control character
    (PostgreSQL cannot store NUL) or a lone surrogate (it cannot be encoded)."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise CheckError("1008", _("缺少 %(name)s", name=name))
    if problem := bad_character(value):
        raise CheckError("1008", _("%(name)s %(problem)s：请检查是否完整复制", name=name, problem=problem))
    return value.strip()


def _token_for(cred: Credential, sign: str) -> str:
    """The access token a sign earns: derived from it (keyed), so a repeated sign gets the
    same token without the token itself ever being stored."""
    return crypto.keyed_hash(f"{cred.client_id}:{sign}", TOKEN_FROM_SIGN)


def _token_answer(token: str, expires_at: datetime, now: datetime) -> dict:
    return {"errcode": OK, "description": _("成功"), "access_token": token, "token_type": "bearer",
            "expires_in": max(1, int((expires_at - now).total_seconds()))}


def _earned(sign_hash: str) -> CheckToken | None:
    return db.session.scalar(select(CheckToken).where(CheckToken.sign_hash == sign_hash))


@_remembering_failures
def issue_token(raw: bytes, *, ip: str | None, environment: str = PRODUCTION, limit: int = 30,
                window: int = 60, now: datetime | None = None) -> dict:
    """POST /base/oauth/token: an access token for a correct sign of a credential of
    `environment` (the address called: /test/base/oauth/token for the 测试环境); CheckError
    otherwise.

    The same sign again (inside its timestamp window) gets the same token, with the seconds it
    has left. At most `limit` new tokens per `window` seconds per credential and per address
    (counted from the stored tokens, so every process sees the same count).
    """
    now = now or utcnow()
    body = _json_object(raw)
    client_id, given = _text_field(body, "client_id"), _text_field(body, "sign").lower()
    timestamp = _timestamp(body.get("timestamp"), now)
    enc_types = _enc_types(body)
    cred = _load(client_id)
    _refuse_unusable(cred)
    _refuse_other_environment(cred, environment)
    _verify_sign(cred, given, timestamp, enc_types)
    token, sign_hash = _token_for(cred, given), crypto.keyed_hash(f"{cred.client_id}:{given}",
                                                                  SIGN_PURPOSE)
    earned = _earned(sign_hash)
    if earned is not None and earned.expires_at > now:
        return _token_answer(token, earned.expires_at, now)  # a second worker, same second
    if earned is not None:  # expired (only with a token life shorter than the window)
        db.session.delete(earned)
        db.session.flush()
    if _issued_recently(cred, ip, now - timedelta(seconds=window)) >= limit:
        raise CheckError("1009", _("获取令牌过于频繁：令牌有效期 2 小时，请缓存后复用"), cred,
                         counted=False, retry_after=window)
    row = CheckToken(token_hash=crypto.keyed_hash(token, TOKEN_PURPOSE), sign_hash=sign_hash,
                     credential_id=cred.id, ip=ip, created_at=now,
                     expires_at=now + timedelta(seconds=TOKEN_SECONDS))
    if not add_unique(row):  # the same sign, answered by another worker a moment ago
        row = _earned(sign_hash)
    if random.random() < 0.02:  # expired tokens (and the signs they hold) go now and then
        db.session.execute(delete(CheckToken).where(CheckToken.expires_at < now))
    return _token_answer(token, row.expires_at, now)


def _payload(body: bytes, cred: Credential):
    """The echo body decrypted under the credential's EncryKey, and read as JSON."""
    try:
        plain = signing.decrypt_body(body, crypto.decrypt(cred.encry_key_enc))
    except signing.NotBase64:
        raise CheckError("2002", _("请求体不是 Base64 文本：请求体应为 Base64(AES-128-ECB(JSON, PKCS#7))，"
                                 "Content-Type: application/json"), cred) from None
    except signing.WrongKey:
        plain = None
    if plain is not None:
        try:
            return jsonbody.parse(plain)
        except jsonbody.BadJson as bad:
            if plain.lstrip()[:1] in (b"{", b"["):  # decrypted, but not a document we read
                raise CheckError("2002", _("请求体已用 EncryKey 解密，但内容不是可读的 JSON（%(reason)s）",
                                           reason=bad.reason),
                                 cred) from None
    rotated = (_("（EncryKey 已于 %(when)s 随密钥重置，请使用新值）", when=_when(cred.rotated_at))
               if cred.rotated_at else "")
    raise CheckError("2002", _("EncryKey 错误：请求体无法用该授权的 EncryKey 解密（AES-128-ECB，"
                               "PKCS#7，16 位 EncryKey 原样作为密钥）%(rotated)s",
                               rotated=rotated), cred)


@_remembering_failures
def echo(access_token: str | None, reqid: str | None, body: bytes, *, ip: str | None,
         environment: str = PRODUCTION, now: datetime | None = None) -> dict:
    """POST /base/check/echo: decrypt the body under the credential's EncryKey and answer it
    (at the address of the token's credential's environment)."""
    now = now or utcnow()
    if not access_token:
        raise CheckError("2001", _("缺少 access_token（URL 参数）"))
    found = db.session.execute(
        select(CheckToken, Credential).join(Credential, Credential.id == CheckToken.credential_id)
        .where(CheckToken.token_hash == crypto.keyed_hash(access_token, TOKEN_PURPOSE))).first()
    if found is None or found[0].expires_at <= now:
        raise CheckError("2001", _("access_token 无效或已过期，请重新调用 /base/oauth/token 获取"))
    row, cred = found
    if cred.is_disabled:
        raise CheckError("1006", _("该授权信息已停用（%(when)s）", when=_when(cred.disabled_at)), cred)
    _refuse_other_environment(cred, environment)
    if cred.rotated_at and cred.rotated_at > row.created_at:
        raise CheckError("1002", _("client secret 已于 %(when)s（北京时间）重置，此 access_token 是重置前获取的："
                                   "请用新的 client secret 重新获取",
                                   when=_when(cred.rotated_at)), cred)
    if ids.digits(reqid, REQID_DIGITS) is None:
        raise CheckError("2003", _("reqid 格式错误：应为 13 位毫秒时间戳加 3 位随机数字（共 16 位 ASCII 数字）"),
                         cred)
    payload = _payload(body, cred)
    enterprise = db.session.get(Enterprise, cred.enterprise_id)
    outcome = _outcome(cred)
    if outcome.verified_at is None:
        outcome.verified_at, outcome.verified_ip = now, ip
        audit.record("golive.verified", actor_label="connection-check", tenant_id=cred.tenant_id,
                     target=cred, ip=ip, client_id=cred.client_id, tax_id=enterprise.tax_id,
                     environment=cred.environment)
    return {"errcode": OK, "description": _("连接检查成功（%(env)s）：client id、client secret、EncryKey 均正确",
                                            env=ENVIRONMENT_LABELS[cred.environment]),
            "data": {"taxNo": enterprise.tax_id, "enterpriseName": enterprise.name,
                     "clientId": cred.client_id, "environment": cred.environment,
                     "reqid": reqid, "payload": payload}}


def _outcome(cred: Credential) -> ConnectionCheck:
    found = db.session.scalar(select(ConnectionCheck).where(ConnectionCheck.credential_id == cred.id))
    if found is None:
        found = ConnectionCheck(credential_id=cred.id)
        if not add_unique(found):  # a concurrent call made it first
            found = db.session.scalar(select(ConnectionCheck).where(
                ConnectionCheck.credential_id == cred.id))
    return found


def record_failure(error: CheckError, *, ip: str | None, now: datetime | None = None) -> None:
    """Keep the last failure of a known credential (for its go-live status and for support)."""
    log.info("connection check refused: errcode=%s client_id=%s ip=%s", error.code,
             error.credential.client_id if error.credential else "-", ip)
    if error.credential is None:
        return
    outcome = _outcome(error.credential)
    outcome.failed_at, outcome.failure_code = now or utcnow(), error.code
    outcome.failure_message, outcome.failure_ip = error.message, ip

