"""产品激活: the 操作密钥, the signed link, the ERP choice and the first tenant admin."""
import base64
import hashlib
import secrets

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.auth.service import validate_password
from webapp.core import audit, i18n, outbox
from webapp.core.crypto import hash_matches, keyed_hash
from webapp.core.errors import Conflict, Expired, Forbidden, NotFound, RateLimited, ServiceError
from webapp.core.ratelimit import FailureLimit, Guard, retry_minutes
from webapp.core.unit_of_work import add_unique
from webapp.extensions import db
from webapp.models import Order, Tenant, User
from webapp.models.order import DEPLOYMENT_CHOICES, ERP_CHOICES
from webapp.models.user import TENANT_ADMIN
from webapp.orm import utcnow

KEY_PURPOSE = "activation-key"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="activation-link")


def _wrong_keys(order: Order, ip: str) -> Guard:
    cfg = current_app.config
    window = cfg["ACTIVATION_WRONG_KEY_WINDOW"]
    # The key is part of the target: a reissued key is a new target to guess.
    key_tag = hashlib.sha256((order.key_hash or "").encode()).hexdigest()[:12]
    return Guard(FailureLimit("activation-key", cfg["ACTIVATION_MAX_WRONG_KEYS"], window),
                 FailureLimit("activation-order", cfg["ACTIVATION_ORDER_MAX_WRONG_KEYS"], window),
                 target=f"order:{order.id}:{key_tag}", ip=ip)


def normalise_key(key: str) -> str:
    """What the user pasted, without spaces, dashes or case."""
    return "".join(ch for ch in (key or "").upper() if ch.isalnum())[:64]


def issue_key(order: Order) -> str:
    """A fresh 160-bit 操作密钥 (old key and old links stop working); only its hash is kept."""
    raw = base64.b32encode(secrets.token_bytes(20)).decode()  # 32 characters
    order.key_hash = keyed_hash(raw, KEY_PURPOSE)
    order.key_issued_at = utcnow()
    order.link_nonce = secrets.token_hex(8)
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def link_token(order: Order) -> str:
    return _serializer().dumps({"o": order.id, "n": order.link_nonce})


def activation_url(order: Order) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/activate/{link_token(order)}"


def load_link(token: str) -> Order:
    """The order a link points to; refused when tampered, expired or superseded by a resend."""
    max_age = current_app.config["ACTIVATION_LINK_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise Expired(_("激活链接已过期，请联系在线客服重新推送激活邮件。")) from None
    except BadSignature:
        raise NotFound(_("激活链接无效，请确认链接完整，或联系在线客服重新推送激活邮件。")) from None
    order = db.session.get(Order, data.get("o")) if isinstance(data, dict) else None
    if order is None or not order.is_delivered:
        raise NotFound(_("激活链接无效，请确认链接完整，或联系在线客服重新推送激活邮件。"))
    if data.get("n") != order.link_nonce:
        raise Expired(_("此激活链接已被新的激活邮件取代，请使用最新邮件中的链接。"))
    return order


def send_activation_email(order: Order, *, actor: User | None = None,
                          actor_label: str | None = None) -> str:
    """Issue a new key and queue the activation email with it; returns the key."""
    key = issue_key(order)
    ctx = dict(order=order, url=activation_url(order), key=key,
               expires_days=current_app.config["ACTIVATION_LINK_MAX_AGE"] // 86400)
    with i18n.in_language_of(order.contact_email):
        outbox.queue(
            "activation", order.contact_email,
            _("【发票云】订单 %(order_no)s 激活邮件", order_no=order.order_no),
            render_template("email/activation.txt", **ctx),
            render_template("email/activation.html", **ctx),
            order_id=order.id, tenant_id=order.tenant_id,
        )
    audit.record("order.activation_email_queued", actor=actor, actor_label=actor_label,
                 target=order, tenant_id=order.tenant_id, to=order.contact_email)
    return key


NEW_KEY_HINT = _l("如已遗失操作密钥，或需立即激活，请联系在线客服重新推送激活邮件："
                  "新邮件中的操作密钥立即可用。")


def check_key(order: Order, key: str, ip: str) -> None:
    """Accept the right 操作密钥. Every attempt is counted first (per (order, address) and per
    address, and against a high per-order ceiling) and decided after, so parallel guesses never
    get more comparisons than the limits allow; guessing from elsewhere does not lock the
    contact out, and past the ceiling the page says how to get a new key (a resend issues a new
    key, which is a new target with counts of its own)."""
    refused = _wrong_keys(order, ip).take()
    if refused:
        audit.record_refusal("activation.key_blocked", target=order, ip=ip,
                             actor_label="anonymous")
        minutes = retry_minutes(refused.wait)
        if refused.address_over:
            raise RateLimited(_("操作密钥错误次数过多，请 %(minutes)s 分钟后再试。%(NEW_KEY_HINT)s",
                                minutes=minutes, NEW_KEY_HINT=NEW_KEY_HINT),
                              field="key")
        raise RateLimited(_("该订单的操作密钥尝试次数过多，已暂停验证，请 %(minutes)s 分钟后再试。"
                            "%(NEW_KEY_HINT)s",
                            minutes=minutes, NEW_KEY_HINT=NEW_KEY_HINT), field="key")
    if not hash_matches(normalise_key(key), order.key_hash, KEY_PURPOSE):
        audit.record_refusal("activation.key_wrong", target=order, ip=ip, actor_label="anonymous")
        guard = _wrong_keys(order, ip)
        left = guard.remaining()
        hint = (_("还可尝试 %(left)s 次。", left=left) if left
                else _("请 %(retry_minutes)s 分钟后再试。",
                       retry_minutes=retry_minutes(guard.per_address.window)))
        raise ServiceError(_("操作密钥不正确，请复制邮件中的操作密钥后重试。%(hint)s", hint=hint), field="key")
    audit.record("activation.key_accepted", target=order, ip=ip, actor_label="anonymous",
                 tenant_id=order.tenant_id)


def choose_erp(order: Order, erp: str, deployment: str, *, ip: str | None = None,
               actor: User | None = None) -> None:
    """Save 选择对接ERP及部署方式."""
    if erp not in dict(ERP_CHOICES) or deployment not in dict(DEPLOYMENT_CHOICES):
        raise ServiceError(_("请选择对接ERP及部署方式"))
    order.erp, order.deployment = erp, deployment
    audit.record("activation.erp_chosen", actor=actor, actor_label=None if actor else order.contact_email,
                 target=order, tenant_id=order.tenant_id, ip=ip,
                 erp=order.erp_label, deployment=order.deployment_label)


def _tenant_named(name: str, actor_label: str, ip: str | None) -> Tenant:
    """The tenant called `name`, created if new (safe against a concurrent creation)."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    while tenant is not None and tenant.merged_into_id is not None:
        tenant = db.session.get(Tenant, tenant.merged_into_id)  # 合并租户: orders go to the target
    if tenant is not None:
        return tenant
    tenant = Tenant(name=name)
    if not add_unique(tenant):  # a concurrent activation created it first
        return db.session.scalar(select(Tenant).where(Tenant.name == name))
    audit.record("tenant.created", actor_label=actor_label, target=tenant, tenant_id=tenant.id, ip=ip)
    return tenant


def activate(order: Order, *, user: User | None = None, password: str | None = None,
             confirm: str | None = None, ip: str | None = None) -> User:
    """Complete 产品激活: join the signed-in admin's tenant, or create the first admin.

    The tenant is the one named 下单企业全称, created if new. Raises ServiceError when the
    order is already activated or the contact already has an account (they sign in first).
    """
    if order.is_activated:
        raise Conflict(_("该订单已激活，请登录后查看。"))
    if not order.erp or not order.deployment:
        raise ServiceError(_("请先选择对接ERP及部署方式并点击【确认】"))
    if user is not None:
        if user.role != TENANT_ADMIN:
            raise Forbidden(_("内部员工账号不能激活客户订单，请退出后再打开激活链接。"))
        tenant = user.tenant
    else:
        existing = db.session.scalar(select(User).where(User.email == order.contact_email))
        if existing is not None:
            raise Conflict(_("该联系邮箱已有账号，请先登录，订单将加入您管理的租户。"))
        validate_password(password or "", confirm or "")
        tenant = _tenant_named(order.customer_name, order.contact_email, ip)
        user = User(email=order.contact_email, role=TENANT_ADMIN, tenant=tenant)
        user.set_password(password)
        if not add_unique(user):  # the same contact activating two orders at once
            raise Conflict(_("该联系邮箱已有账号，请先登录，订单将加入您管理的租户。"))
        audit.record("user.created", actor=user, target=user, tenant_id=tenant.id, ip=ip,
                     role=TENANT_ADMIN)
    # Conditional update: of two concurrent activations exactly one wins.
    won = db.session.execute(
        update(Order).where(Order.id == order.id, Order.activated_at.is_(None))
        .values(activated_at=utcnow(), activated_by_id=user.id, tenant_id=tenant.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise Conflict(_("该订单已激活，请登录后查看。"))
    db.session.refresh(order)
    audit.record("order.activated", actor=user, target=order, tenant_id=tenant.id, ip=ip,
                 erp=order.erp_label, deployment=order.deployment_label)
    return user
