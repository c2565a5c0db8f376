"""The authorization email (授权邮件): credentials and configuration hints, through the outbox.

Bodies carry secrets in clear; outbox.queue stores them encrypted and clears them once sent.
Nothing here logs a body or a secret.
"""
from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.core import audit, outbox
from webapp.core.i18n import N_, in_language_of
from webapp.credentials import service as credentials
from webapp.credentials.erp_hints import hints_for
from webapp.extensions import db
from webapp.golive import cards, environments, guide
from webapp.models.allocation import is_active
from webapp.models.credential import ENVIRONMENT_LABELS, ENVIRONMENTS, PRODUCTION
from webapp.models import (Allocation, AllocationBatch, Credential, Enterprise, Order, OrderLine,
                           Product, Tenant, User)

KEEP_NOTICE = _l("请妥善保存授权邮件，后续配置需使用邮件中的信息")
KIND = "authorization"
# ERPs whose 金税互联设置 takes the push URL (http 地址) per organisation and 操作类型.
PUSH_ERPS = ("eas", "xingkong")


def _context(tenant: Tenant, order: Order | None, enterprise_rows: list[dict], **extra) -> dict:
    """What both templates need; `order` (None when a credential concerns no order) gives the hints.

    Each row's `creds` maps an environment to its values in clear; every environment is shown
    with its label and the base URL its credentials belong to.
    """
    tenant_creds = {env: credentials.reveal(credentials.ensure_tenant_credential(tenant.id, env))
                    for env in ENVIRONMENTS}
    erp, deployment = (order.erp, order.deployment) if order else (None, None)
    if erp in PUSH_ERPS:
        # Each row's push addresses as (words, URL) pairs: the words translated and the bases
        # built once per email, not once per row (an email may carry thousands of rows).
        words = {kind: _("%(label)s http 地址：", label=label)
                 for kind, label in cards.PUSH_PATHS.items()}
        bases = {(kind, env): cards.push_base(kind, env) for kind in words for env in ENVIRONMENTS}
        for row in enterprise_rows:
            tax_id = row["enterprise"]["tax_id"] if isinstance(row["enterprise"], dict) \
                else row["enterprise"].tax_id
            kinds = list(cards.push_kinds(row["codes"]))
            row["push"] = {env: [(words[kind], cards.push_url(kind, tax_id, cred["client_id"],
                                                              base=bases[kind, env]))
                                 for kind in kinds]
                           for env, cred in row["creds"].items()}
    # Each row's products in words, translated once per set of products, not once per row: a
    # translation costs ~10 µs, and one email may carry thousands of rows.
    labels: dict[tuple, str] = {}
    for row in enterprise_rows:
        key = tuple(row["products"])
        if key not in labels:
            labels[key] = _("、").join(_(name) for name in key)
        row["products_label"] = labels[key]
    recipe = None
    if erp == "other" and enterprise_rows:  # the first set of the first row (测试环境 first)
        env, first = next(iter(enterprise_rows[0]["creds"].items()))
        recipe = cards.recipe(first["client_id"], env)
    return dict(order=order, tenant=tenant, tenant_creds=tenant_creds,
                environments=environments.described(),
                enterprises=enterprise_rows, hints=hints_for(erp, deployment), recipe=recipe,
                erp_label=(order and order.erp_label) or _("未选择"),
                deployment_label=(order and order.deployment_label) or _("未选择"),
                keep_notice=KEEP_NOTICE, **extra)


def _queue(to: str, subject: str, ctx: dict, order: Order | None, tenant_id: int) -> None:
    outbox.queue(KIND, to, subject,
                 render_template("email/authorization.txt", **ctx),
                 render_template("email/authorization.html", **ctx),
                 order_id=order.id if order else None, tenant_id=tenant_id)


def queue_authorization_email(order: Order, batch: AllocationBatch, *,
                              actor: User | None = None) -> None:
    """Queue the 授权邮件 for one committed allocation batch, in the caller's transaction."""
    product = batch.line.product
    rows = credentials.batch_values(batch.id, actor=actor)
    for row in rows:
        row["products"], row["codes"] = [product.name], {product.code}
    with in_language_of(order.contact_email):  # the recipient's language
        ctx = _context(order.tenant, order, rows, reason="allocation", product=product)
        _queue(order.contact_email, _("【发票云】订单 %(order_no)s 授权邮件", order_no=order.order_no),
               ctx, order, order.tenant_id)
    audit.record("authorization.email_queued", actor=actor, tenant_id=order.tenant_id, target=batch,
                 order_id=order.id, to=order.contact_email, enterprises=len(rows))


def _orders_for(cred: Credential) -> list[Order]:
    """The activated orders a credential concerns (the tenant's, or those whose entitlements the
    enterprise holds now)."""
    query = select(Order).where(Order.tenant_id == cred.tenant_id, Order.activated_at.is_not(None))
    if cred.enterprise_id is not None:
        query = query.where(Order.id.in_(
            select(OrderLine.order_id).join(Allocation, Allocation.line_id == OrderLine.id)
            .where(Allocation.enterprise_id == cred.enterprise_id, is_active())))
    return list(db.session.scalars(query.order_by(Order.activated_at.desc(), Order.id.desc())))


def _products_of(enterprise_id: int) -> list[str]:
    return list(db.session.scalars(
        select(Product.name).join(OrderLine, OrderLine.product_id == Product.id)
        .join(Allocation, Allocation.line_id == OrderLine.id)
        .where(Allocation.enterprise_id == enterprise_id, is_active())
        .distinct().order_by(Product.name)))


def queue_rotation_email(cred: Credential, *, actor: User | None = None) -> list[str]:
    """After 重置密钥: a new authorization email with the new values; returns the recipients.

    It goes to the contact email of each order the credential concerns (one email per address,
    with the hints of that address's latest order); with no such order, to the acting admin.
    """
    recipients = _queue_for_credential(cred, actor, N_("【发票云】授权信息已重置"), reason="rotation",
                                       rotated_scope=credentials.SCOPE_LABELS[cred.scope],
                                       rotated_environment=ENVIRONMENT_LABELS[cred.environment])
    audit.record("authorization.rotation_email_queued", actor=actor, tenant_id=cred.tenant_id,
                 target=cred, to=recipients)
    return recipients


def queue_reissue_email(cred: Credential, *, actor: User | None = None) -> list[str]:
    """After 重新生成授权: the new values go out like any authorization email."""
    recipients = _queue_for_credential(cred, actor, N_("【发票云】授权信息已重新生成"),
                                       reason="reissue")
    audit.record("authorization.email_queued", actor=actor, tenant_id=cred.tenant_id,
                 target=cred, to=recipients, reason="reissue")
    return recipients


def queue_tax_change_email(creds: dict[str, Credential], old_tax_id: str, *,
                           actor: User | None = None, old_disabled: bool = True) -> list[str]:
    """After a 权益税号变更: the new enterprise's authorization email, both environments (same
    recipients as above); `old_disabled` says whether the old tax ID's credentials were
    switched off."""
    cred = creds[PRODUCTION]
    recipients = _queue_for_credential(cred, actor, N_("【发票云】权益税号变更 授权邮件"), creds,
                                       reason="tax_change", old_tax_id=old_tax_id,
                                       old_disabled=old_disabled)
    audit.record("authorization.email_queued", actor=actor, tenant_id=cred.tenant_id,
                 target=cred, to=recipients, reason="tax_change")
    return recipients


def _queue_for_credential(cred: Credential, actor: User | None, subject: str,
                          creds: dict[str, Credential] | None = None, **extra) -> list[str]:
    """Queue the email about `cred` (with `creds`, every environment of that enterprise)."""
    orders, seen = [], set()
    for order in _orders_for(cred):
        if order.contact_email.lower() not in seen:
            seen.add(order.contact_email.lower())
            orders.append(order)
    rows = []
    if cred.enterprise_id is not None:
        enterprise = db.session.get(Enterprise, cred.enterprise_id)
        shown = creds or {cred.environment: cred}
        rows = [dict(enterprise=enterprise, products=_products_of(enterprise.id),
                     codes=guide.product_codes(enterprise.id),
                     creds={env: credentials.reveal(shown[env])
                            for env in ENVIRONMENTS if env in shown})]
    tenant = db.session.get(Tenant, cred.tenant_id)
    targets = [(o.contact_email, o) for o in orders] or ([(actor.email, None)] if actor else [])
    for to, order in targets:
        with in_language_of(to):  # the recipient's language: subject, body and hints
            ctx = _context(tenant, order, rows, **extra)
            suffix = _("（订单 %(order_no)s）", order_no=order.order_no) if order else ""
            _queue(to, f"{_(subject)}{suffix}", ctx, order, cred.tenant_id)
    return [to for to, _ in targets]

