"""The connection check: the token call and the encrypted echo call for credentials we issued.

Each refusal names its cause (an errcode and a Chinese description an integrator can act on);
none ever contains a secret, an expected sign or a body. Outcomes are recorded per credential
(ConnectionCheck) for the go-live status: a refusal's is remembered past the rollback of
the refused call (core/unit_of_work.py).
"""
import json
import logging
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial, wraps

from sqlalchemy import delete, func, or_, select

from webapp.core import audit, crypto, unit_of_work
from webapp.core.unit_of_work import add_unique
from webapp.extensions import db
from webapp.golive import signing
from webapp.models import CheckToken, ConnectionCheck, Credential, Enterprise
from webapp.models.credential import SCOPE_TENANT
from webapp.orm import CST, utcnow

log = logging.getLogger(__name__)

OK = "0000"
WINDOW_SECONDS = 5 * 60
TOKEN_SECONDS = 2 * 60 * 60
TOKEN_PURPOSE = "golive-token"
SIGN_PURPOSE = "golive-sign"
REQID = re.compile(r"\d{16}")


@dataclass
class CheckError(Exception):
    """A refused call: errcode, description and the HTTP status it is answered with."""

    code: str
    message: str
    status: int = 400
    credential: Credential | None = None


def _when(moment: datetime) -> str:
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def _timestamp(value, now: datetime) -> str:
    """The timestamp as sent (seconds or milliseconds), refused outside ±5 minutes."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{1,16}", text):
        raise CheckError("1008", "timestamp 必须是秒（10 位）或毫秒（13 位）时间戳")
    seconds = int(text) / 1000 if len(text) >= 12 else int(text)
    drift = seconds - now.timestamp()
    if abs(drift) > WINDOW_SECONDS:
        raise CheckError("1004", f"timestamp 超出允许范围（服务器时间前后 5 分钟）：请求时间与服务器"
                                 f"相差 {abs(int(drift))} 秒，请校准业务系统服务器时间；"
                                 f"服务器当前时间 {_when(now)}（北京时间）")
    return text


def _enc_types(body: dict) -> tuple[int, ...]:
    """The encType the client names (0, 1, 2), or all three when it names none."""
    given = body.get("encType", body.get("enc_type"))
    if given in (None, ""):
        return (0, 1, 2)
    if str(given) in ("0", "1", "2"):
        return (int(given),)
    raise CheckError("1008", "encType 只能是 0（MD5）、1（SHA-256）或 2（HMAC-SHA256）")


def _load(client_id: str) -> Credential:
    cred = db.session.scalar(select(Credential).where(Credential.client_id == client_id))
    if cred is None:
        raise CheckError("1001", f"未知的 client_id：{client_id[:64]}。请核对是否完整复制（不含空格），"
                                 "以及是否为本平台签发的授权信息", 401)
    return cred


def _refuse_unusable(cred: Credential) -> None:
    if cred.is_disabled:
        raise CheckError("1006", f"该授权信息已停用（{_when(cred.disabled_at)}），请使用新的授权邮件中的"
                                 "企业授权", 403, cred)
    if cred.scope == SCOPE_TENANT:
        raise CheckError("1005", "这是租户授权的 client_id：对接 ERP 请使用企业授权（按企业税号）的 "
                                 "client id、client secret 和 EncryKey，不要使用租户授权", 403, cred)


def _verify_sign(cred: Credential, given: str, timestamp: str, enc_types) -> int:
    secret = crypto.decrypt(cred.client_secret_enc)
    found = signing.matching_type(given, cred.client_id, secret, timestamp, enc_types)
    if found is not None:
        return found
    if cred.previous_secret_enc:
        old = crypto.decrypt(cred.previous_secret_enc)
        if signing.matching_type(given, cred.client_id, old, timestamp, enc_types) is not None:
            raise CheckError("1002", f"client secret 已于 {_when(cred.rotated_at)}（北京时间）重置，请求仍在"
                                     "使用旧的 client secret：请使用重置后授权邮件中的新值", 401, cred)
    wrong = signing.misordered(given, cred.client_id, secret, timestamp, enc_types)
    types = "、".join(f"encType {t} = {signing.SIGN_TYPES[t]}" for t in enc_types)
    hint = f"拼接顺序用成了 {wrong}；" if wrong else ""
    raise CheckError("1003", f"sign 不匹配：{hint}应为 {signing.SIGN_ORDER} 直接拼接（无分隔符，"
                             f"timestamp 取请求中的原值）后计算 {types}，结果为小写十六进制。"
                             "请检查 client secret 是否完整、是否含空格", 401, cred)


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
            if error.status != 429:
                unit_of_work.remember(partial(record_failure, error, ip=ip))
            raise

    return checked


@_remembering_failures
def issue_token(body, *, ip: str | None, limit: int = 30, window: int = 60,
                now: datetime | None = None) -> dict:
    """POST /base/oauth/token: an access token for a correct sign; CheckError otherwise.

    At most `limit` tokens per `window` seconds per credential and per address (counted from
    the stored tokens, so every process sees the same count).
    """
    now = now or utcnow()
    if not isinstance(body, dict):
        raise CheckError("1008", "请求体必须是 JSON 对象：{\"client_id\", \"sign\", \"timestamp\"}")
    client_id, given = body.get("client_id"), body.get("sign")
    if not isinstance(client_id, str) or not client_id.strip():
        raise CheckError("1008", "缺少 client_id")
    if not isinstance(given, str) or not given.strip():
        raise CheckError("1008", "缺少 sign")
    timestamp = _timestamp(body.get("timestamp"), now)
    enc_types = _enc_types(body)
    cred = _load(client_id.strip())
    _refuse_unusable(cred)
    _verify_sign(cred, given.strip().lower(), timestamp, enc_types)
    if _issued_recently(cred, ip, now - timedelta(seconds=window)) >= limit:
        raise CheckError("1009", "获取令牌过于频繁：令牌有效期 2 小时，请缓存后复用", 429, cred)
    token = secrets.token_urlsafe(32)
    row = CheckToken(token_hash=crypto.keyed_hash(token, TOKEN_PURPOSE),
                     sign_hash=crypto.keyed_hash(f"{cred.client_id}:{given.strip().lower()}",
                                                 SIGN_PURPOSE),
                     credential_id=cred.id, ip=ip, created_at=now,
                     expires_at=now + timedelta(seconds=TOKEN_SECONDS))
    if not add_unique(row):
        raise CheckError("1007", "该 sign 已使用过（重放）：每次获取令牌请使用新的 timestamp 重新计算 "
                                 "sign", 401, cred)
    if random.random() < 0.02:  # expired tokens (and the signs they hold) go now and then
        db.session.execute(delete(CheckToken).where(CheckToken.expires_at < now))
    return {"errcode": OK, "description": "成功", "access_token": token, "token_type": "bearer",
            "expires_in": TOKEN_SECONDS}


@_remembering_failures
def echo(access_token: str | None, reqid: str | None, body: bytes, *, ip: str | None,
         now: datetime | None = None) -> dict:
    """POST /base/check/echo: decrypt the body under the credential's EncryKey and answer it."""
    now = now or utcnow()
    if not access_token:
        raise CheckError("2001", "缺少 access_token（URL 参数）", 401)
    found = db.session.execute(
        select(CheckToken, Credential).join(Credential, Credential.id == CheckToken.credential_id)
        .where(CheckToken.token_hash == crypto.keyed_hash(access_token, TOKEN_PURPOSE))).first()
    if found is None or found[0].expires_at <= now:
        raise CheckError("2001", "access_token 无效或已过期，请重新调用 /base/oauth/token 获取", 401)
    row, cred = found
    if cred.is_disabled:
        raise CheckError("1006", f"该授权信息已停用（{_when(cred.disabled_at)}）", 403, cred)
    if cred.rotated_at and cred.rotated_at > row.created_at:
        raise CheckError("1002", f"client secret 已于 {_when(cred.rotated_at)}（北京时间）重置，此 "
                                 "access_token 是重置前获取的：请用新的 client secret 重新获取", 401, cred)
    if not reqid or not REQID.fullmatch(reqid):
        raise CheckError("2003", "reqid 格式错误：应为 13 位毫秒时间戳加 3 位随机数字（共 16 位）", 400, cred)
    try:
        plain = signing.decrypt_body(body, crypto.decrypt(cred.encry_key_enc))
        payload = json.loads(plain.decode("utf-8"))
    except signing.NotBase64:
        raise CheckError("2002", "请求体不是 Base64 文本：请求体应为 Base64(AES-128-ECB(JSON, PKCS#7))，"
                                 "Content-Type: application/json", 400, cred) from None
    except (signing.WrongKey, UnicodeDecodeError, ValueError):
        rotated = f"（EncryKey 已于 {_when(cred.rotated_at)} 随密钥重置，请使用新值）" if cred.rotated_at else ""
        raise CheckError("2002", "EncryKey 错误：请求体无法用该授权的 EncryKey 解密（AES-128-ECB，"
                                 f"PKCS#7，16 位 EncryKey 原样作为密钥）{rotated}", 400, cred) from None
    enterprise = db.session.get(Enterprise, cred.enterprise_id)
    outcome = _outcome(cred)
    if outcome.verified_at is None:
        outcome.verified_at, outcome.verified_ip = now, ip
        audit.record("golive.verified", actor_label="connection-check", tenant_id=cred.tenant_id,
                     target=cred, ip=ip, client_id=cred.client_id, tax_id=enterprise.tax_id)
    return {"errcode": OK, "description": "连接检查成功：client id、client secret、EncryKey 均正确",
            "data": {"taxNo": enterprise.tax_id, "enterpriseName": enterprise.name,
                     "clientId": cred.client_id, "reqid": reqid, "payload": payload}}


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

