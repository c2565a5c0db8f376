"""授权信息: client id, client secret and EncryKey per tenant (租户授权) or enterprise (企业授权),
one set per environment (测试环境, 正式环境): both are issued together.

Credentials are made with the `secrets` CSPRNG the first time they are needed. The client
secret and the EncryKey are stored only as Fernet tokens (webapp/core/crypto.py), are never
logged, and never enter an audit entry: the audit log names the credential and the field only.
"""
import secrets
import string

from flask_babel import gettext as _
from sqlalchemy import exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from webapp.core import audit, crypto
from webapp.core.errors import Conflict, NotFound
from webapp.extensions import db
from webapp.models import Allocation, Credential, Enterprise, OutboxEmail, User
from webapp.models.allocation import enterprise_holds_active, holds_active
from webapp.models.credential import (ACTIVE, DISABLED, ENVIRONMENTS, PRODUCTION, SCOPE_ENTERPRISE,
                                      SCOPE_LABELS, SCOPE_TENANT, TEST)
from webapp.orm import utcnow

ENCRY_KEY_LENGTH = 16
_ENCRY_ALPHABET = string.ascii_letters + string.digits

# The fields a user may reveal, with their UI labels. client_id is not secret (shown in clear).
FIELD_LABELS = {"client_id": "client id", "client_secret": "client secret", "encry_key": "EncryKey"}
SECRET_FIELDS = ("client_secret", "encry_key")


def new_client_id(scope: str, environment: str = PRODUCTION) -> str:
    """A unique, non-secret identifier; the prefix tells the scopes and environments apart at
    a glance (fpy-e-… 正式环境, fpy-test-e-… 测试环境)."""
    prefix = "fpy-t-" if scope == SCOPE_TENANT else "fpy-e-"
    if environment == TEST:
        prefix = prefix.replace("fpy-", "fpy-test-")
    return prefix + secrets.token_hex(12)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def new_encry_key() -> str:
    """16 characters of letters and digits (the EncryKey the ERP side expects)."""
    return "".join(secrets.choice(_ENCRY_ALPHABET) for _ in range(ENCRY_KEY_LENGTH))


def _new_set(scope: str, tenant_id: int, enterprise_id: int | None,
             environment: str) -> tuple[dict, dict]:
    """A new credential: its three values in clear, and the row that stores them (the secrets
    encrypted)."""
    clear = dict(client_id=new_client_id(scope, environment), client_secret=new_client_secret(),
                 encry_key=new_encry_key())
    row = dict(scope=scope, tenant_id=tenant_id, enterprise_id=enterprise_id,
               environment=environment, client_id=clear["client_id"],
               client_secret_enc=crypto.encrypt(clear["client_secret"]),
               encry_key_enc=crypto.encrypt(clear["encry_key"]))
    return clear, row


def _create(scope: str, tenant_id: int, enterprise_id: int | None, environment: str,
            actor: User | None) -> Credential | None:
    """Insert a credential in a savepoint; None when a concurrent request won the race."""
    cred = Credential(**_new_set(scope, tenant_id, enterprise_id, environment)[1])
    try:
        with db.session.begin_nested():
            db.session.add(cred)
    except IntegrityError:
        return None
    audit.record("credential.created", actor=actor, tenant_id=tenant_id, target=cred,
                 scope=scope, enterprise_id=enterprise_id, client_id=cred.client_id,
                 environment=environment)
    return cred


# The credentials feature's names for the model's scoped reads.
tenant_credential = Credential.for_tenant
enterprise_credential = Credential.for_enterprise


def known_environment(value: str | None) -> str | None:
    """`value` when it names an environment (test, production), else None."""
    return value if value in ENVIRONMENTS else None


def ensure_tenant_credential(tenant_id: int, environment: str = PRODUCTION, *,
                             actor: User | None = None) -> Credential:
    """The tenant's 租户授权 in one environment, created on first need."""
    cred = tenant_credential(tenant_id, environment)
    if cred is None:
        cred = (_create(SCOPE_TENANT, tenant_id, None, environment, actor)
                or tenant_credential(tenant_id, environment))
    return cred


def ensure_enterprise_credential(enterprise: Enterprise, environment: str = PRODUCTION, *,
                                 actor: User | None = None) -> Credential:
    """The enterprise's (tax ID's) 企业授权 in one environment, created on first need."""
    cred = enterprise_credential(enterprise.id, environment)
    if cred is None:
        cred = (_create(SCOPE_ENTERPRISE, enterprise.tenant_id, enterprise.id, environment, actor)
                or enterprise_credential(enterprise.id, environment))
    return cred


def _clear(cred) -> dict:
    """The three values of a credential (or of a row read with its columns) in clear, for the
    authorization email."""
    return dict(client_id=cred.client_id, client_secret=crypto.decrypt(cred.client_secret_enc),
                encry_key=crypto.decrypt(cred.encry_key_enc))


def batch_values(batch_id: int, *, actor: User | None = None) -> list[dict]:
    """The 企业授权 of every enterprise in an allocation batch, both environments, in clear,
    for the email.

    Constant statements and no needless crypto for a batch of thousands: one SELECT of the
    enterprises with their credentials, one multi-row INSERT of the missing ones (whose clear
    values are already in hand), and a decrypt only for credentials that existed before.
    Rows: {enterprise: {id, name, tax_id}, creds: {environment: {client_id, client_secret,
    encry_key}}}, environments in ENVIRONMENTS order.
    """
    found = db.session.execute(
        select(Enterprise.id, Enterprise.name, Enterprise.tax_id, Enterprise.tenant_id,
               Credential.environment, Credential.client_id, Credential.client_secret_enc,
               Credential.encry_key_enc, Credential.status)
        .join(Allocation, Allocation.enterprise_id == Enterprise.id)
        .outerjoin(Credential, Credential.enterprise_id == Enterprise.id)
        .where(Allocation.batch_id == batch_id)
        .order_by(Enterprise.name, Enterprise.id)).all()
    enterprises: dict[int, dict] = {}
    stored: dict[int, dict] = {}
    for r in found:
        enterprises.setdefault(r.id, dict(id=r.id, name=r.name, tax_id=r.tax_id,
                                          tenant_id=r.tenant_id))
        if r.environment is not None:
            stored.setdefault(r.id, {})[r.environment] = r
    rows, new = [], []
    now = utcnow()
    for enterprise_id, e in enterprises.items():
        have = stored.get(enterprise_id, {})
        if any(r.status == DISABLED for r in have.values()):
            # A tax ID that had lost everything holds an entitlement again: renewed, both sets.
            usable = ensure_usable_enterprise_credentials(db.session.get(Enterprise, enterprise_id),
                                                          actor=actor)
            creds = {env: _clear(usable[env]) for env in ENVIRONMENTS}
        else:
            creds = {}
            for env in ENVIRONMENTS:
                if env in have:
                    creds[env] = _clear(have[env])
                    continue
                creds[env], row = _new_set(SCOPE_ENTERPRISE, e["tenant_id"], enterprise_id, env)
                new.append({**row, "created_at": now})
        rows.append(dict(enterprise=dict(id=e["id"], name=e["name"], tax_id=e["tax_id"]),
                         creds=creds))
    if new:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(Credential), new)
        except IntegrityError:
            # A concurrent request made some of them first: take what is stored now.
            for row in rows:
                enterprise = db.session.get(Enterprise, row["enterprise"]["id"])
                row["creds"] = {env: _clear(ensure_enterprise_credential(enterprise, env, actor=actor))
                                for env in ENVIRONMENTS}
            return rows
        audit.record("credential.created", actor=actor, tenant_id=new[0]["tenant_id"],
                     scope=SCOPE_ENTERPRISE, count=len(new),
                     enterprise_ids=sorted({n["enterprise_id"] for n in new})[:100])
    return rows


def secret_value(cred: Credential, field: str) -> str:
    """The clear value of one field (client_id, client_secret or encry_key)."""
    if field == "client_id":
        return cred.client_id
    if field == "client_secret":
        return crypto.decrypt(cred.client_secret_enc)
    if field == "encry_key":
        return crypto.decrypt(cred.encry_key_enc)
    raise NotFound(_("未知的授权字段"), field="field")


def reveal(cred: Credential) -> dict:
    """All three values in clear, for display or for the authorization email (not audited here)."""
    return {
        "scope": cred.scope,
        "scope_label": SCOPE_LABELS[cred.scope],
        "environment": cred.environment,
        "client_id": cred.client_id,
        "client_secret": crypto.decrypt(cred.client_secret_enc),
        "encry_key": crypto.decrypt(cred.encry_key_enc),
    }


def reveal_field(cred: Credential, field: str, *, actor: User, ip: str | None = None) -> str:
    """显示: one field in clear, audited (who, which credential, which field — never the value)."""
    if field not in FIELD_LABELS:
        raise NotFound(_("未知的授权字段"), field="field")
    value = secret_value(cred, field)
    audit.record("credential.revealed", actor=actor, tenant_id=cred.tenant_id, target=cred,
                 ip=ip, scope=cred.scope, field=field, client_id=cred.client_id,
                 environment=cred.environment)
    return value


def rotate_secret(cred: Credential, *, actor: User | None, ip: str | None = None) -> None:
    """重置密钥: a new client secret and a new EncryKey; the client id stays (it is not secret).

    Both change together: a leaked secret usually leaks with its EncryKey, and the ERP side is
    reconfigured from the new authorization email in one step anyway.
    """
    if cred.status == DISABLED:
        raise Conflict(_("该授权信息已停用（税号已变更），不能重置密钥。"))
    # The old secret is kept (encrypted) only so the connection check can say "secret reset".
    cred.previous_secret_enc = cred.client_secret_enc
    cred.client_secret_enc = crypto.encrypt(new_client_secret())
    cred.encry_key_enc = crypto.encrypt(new_encry_key())
    cred.rotated_at = utcnow()
    db.session.flush()
    audit.record("credential.rotated", actor=actor, tenant_id=cred.tenant_id, target=cred, ip=ip,
                 scope=cred.scope, client_id=cred.client_id, environment=cred.environment,
                 fields=list(SECRET_FIELDS))


def _renew(cred: Credential, actor: User | None, ip: str | None = None) -> bool:
    """A 已停用 credential becomes usable with new values (client id, secret, EncryKey); one
    conditional UPDATE, so two at once renew it once. False when it was not 已停用."""
    done = db.session.execute(
        update(Credential).where(Credential.id == cred.id, Credential.status == DISABLED)
        .values(status=ACTIVE, disabled_at=None,
                client_id=new_client_id(cred.scope, cred.environment),
                rotated_at=utcnow(), client_secret_enc=crypto.encrypt(new_client_secret()),
                encry_key_enc=crypto.encrypt(new_encry_key()), previous_secret_enc=None)
        .execution_options(synchronize_session=False))
    db.session.refresh(cred)
    if done.rowcount == 1:
        audit.record("credential.reissued", actor=actor, tenant_id=cred.tenant_id, target=cred,
                     ip=ip, scope=cred.scope, client_id=cred.client_id)
    return done.rowcount == 1


def reissue(cred: Credential, *, actor: User, ip: str | None = None) -> None:
    """重新生成授权: a 已停用 企业授权 of a tax ID that still holds an active allocation (data from
    before the fix: a 收票 change used to switch off the 开票 credential) becomes usable again
    with a new client id, client secret and EncryKey; the old values stay void. Two clicks at
    once issue once (the loser gets a 409)."""
    if cred.enterprise_id is None or not enterprise_holds_active(cred.enterprise_id):
        raise NotFound(_("该企业已没有已分配的权益，不能重新生成授权。"))
    if not _renew(cred, actor, ip):
        raise Conflict(_("该授权信息有效，无需重新生成；如需更换密钥请使用【重置密钥】。"))


def ensure_usable_enterprise_credentials(enterprise: Enterprise, *,
                                         actor: User | None = None) -> dict[str, Credential]:
    """The enterprise's 企业授权 in both environments, usable: created on first need, renewed
    (new values) when a tax ID that lost everything was switched off and now holds an
    entitlement again."""
    creds = {}
    for environment in ENVIRONMENTS:
        cred = ensure_enterprise_credential(enterprise, environment, actor=actor)
        if cred.status == DISABLED:
            _renew(cred, actor)
        creds[environment] = cred
    return creds


def issue_missing(environment: str = TEST, batch: int = 500) -> dict[str, int]:
    """The `environment` credentials that those issued before there were two (migration 0020)
    lack: one for every enterprise holding an active allocation and every tenant holding an
    active 租户授权, none of that environment yet; the caller commits. Inserted in batches,
    one audit entry per tenant; no email (they show on 授权信息, and a 重置密钥 mails them)."""
    own = aliased(Credential)  # one of `environment` already
    enterprises = db.session.execute(
        select(Enterprise.tenant_id, Enterprise.id).where(holds_active(), ~exists().where(
            own.enterprise_id == Enterprise.id, own.environment == environment))
        .order_by(Enterprise.tenant_id, Enterprise.id)).all()
    tenants = db.session.scalars(
        select(Credential.tenant_id).distinct().where(
            Credential.enterprise_id.is_(None), Credential.status == ACTIVE,
            ~exists().where(own.tenant_id == Credential.tenant_id, own.enterprise_id.is_(None),
                            own.environment == environment))
        .order_by(Credential.tenant_id)).all()
    wanted = [(SCOPE_ENTERPRISE, tenant_id, enterprise_id) for tenant_id, enterprise_id in enterprises]
    wanted += [(SCOPE_TENANT, tenant_id, None) for tenant_id in tenants]
    now = utcnow()
    for start in range(0, len(wanted), batch):
        db.session.execute(insert(Credential), [
            {**_new_set(scope, tenant_id, enterprise_id, environment)[1], "created_at": now}
            for scope, tenant_id, enterprise_id in wanted[start:start + batch]])
    per_tenant: dict[int, list] = {}
    for _scope, tenant_id, enterprise_id in wanted:
        per_tenant.setdefault(tenant_id, []).append(enterprise_id)
    for tenant_id, made in per_tenant.items():
        audit.record("credential.created", actor_label="cli", tenant_id=tenant_id,
                     environment=environment, count=len(made), via="issue-missing",
                     enterprise_ids=[e for e in made if e is not None][:100])
    return {"enterprise": len(enterprises), "tenant": len(tenants)}


def reencrypt_all(batch: int = 500) -> dict[str, int]:
    """Re-encrypt every stored secret under the first DATA_ENCRYPTION_KEY; the caller commits.

    Credentials and the bodies of emails still waiting in the outbox (they hold the same
    secrets). Walks each table by id in batches (keyset), so memory stays flat.
    """
    pending = or_(OutboxEmail.text_enc.is_not(None), OutboxEmail.html_enc.is_not(None))
    return {
        "credentials": _rotate_in_batches(
            Credential, ("client_secret_enc", "encry_key_enc", "previous_secret_enc"), batch),
        "emails": _rotate_in_batches(OutboxEmail, ("text_enc", "html_enc"), batch, pending),
    }


def _rotate_in_batches(model, fields: tuple[str, ...], batch: int, *where) -> int:
    """Re-encrypt `fields` (where set) of every `model` row, walking ids in batches; the count."""
    done, last_id = 0, 0
    while rows := db.session.scalars(select(model).where(model.id > last_id, *where)
                                     .order_by(model.id).limit(batch)).all():
        for row in rows:
            for field in fields:
                if getattr(row, field):
                    setattr(row, field, crypto.rotate(getattr(row, field)))
        db.session.flush()
        done += len(rows)
        last_id = rows[-1].id
    return done
