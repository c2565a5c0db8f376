"""The credential and authorization-email services, without HTTP."""
from sqlalchemy import select

from webapp.core import outbox
from webapp.credentials import emails as authorization
from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import AllocationBatch, AuditEntry, Credential, Order, OutboxEmail


def test_ensure_creates_once_with_16_character_encry_key(app_ctx, make_admin):
    admin = make_admin()
    first = credentials.ensure_tenant_credential(admin["tenant_id"])
    db.session.commit()
    again = credentials.ensure_tenant_credential(admin["tenant_id"])
    assert first.id == again.id
    assert db.session.scalar(select(db.func.count()).select_from(Credential)) == 1
    shown = credentials.reveal(first)
    assert len(shown["encry_key"]) == 16 and shown["encry_key"].isalnum()
    assert len(shown["client_secret"]) >= 40
    # stored encrypted: the clear values appear nowhere in the row
    assert shown["client_secret"] not in first.client_secret_enc
    assert shown["encry_key"] not in first.encry_key_enc
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("credential.created") == 1


def test_every_credential_is_different(app_ctx, make_admin, make_batch):
    admin = make_admin()
    _, enterprise_ids = make_batch(admin, count=5)
    from webapp.models import Enterprise
    creds = [credentials.ensure_enterprise_credential(db.session.get(Enterprise, i))
             for i in enterprise_ids] + [credentials.ensure_tenant_credential(admin["tenant_id"])]
    shown = [credentials.reveal(c) for c in creds]
    for field in ("client_id", "client_secret", "encry_key"):
        assert len({s[field] for s in shown}) == 6
    assert {s["scope_label"] for s in shown} == {"企业授权", "租户授权"}


def test_queue_authorization_email_lists_batch_credentials(app, make_admin, make_batch):
    admin = make_admin()
    batch_id, enterprise_ids = make_batch(admin)
    earlier_batch, earlier_ids = make_batch(admin, count=1)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        authorization.queue_authorization_email(order, db.session.get(AllocationBatch, batch_id))
        db.session.commit()
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "authorization"))
        text, html = outbox.body(email)
        assert email.to_addr == "buyer@example.com"
        for enterprise_id in enterprise_ids:
            cred = credentials.reveal(credentials.enterprise_credential(enterprise_id))
            for value in (cred["client_id"], cred["client_secret"], cred["encry_key"]):
                assert value in text and value in html
        # only this batch's enterprises: the other batch's enterprise has no credential yet
        assert credentials.enterprise_credential(earlier_ids[0]) is None
        tenant = credentials.reveal(credentials.tenant_credential(admin["tenant_id"]))
        assert tenant["client_secret"] in text and tenant["encry_key"] in html
        assert "请妥善保存授权邮件，后续配置需使用邮件中的信息" in text
        assert "星空" in text and "公有云" in text and "发票云开票" in text
        assert "租户授权" in text and "企业授权" in text


def test_hints_follow_the_order_erp_and_deployment(app, make_admin, make_batch):
    admin = make_admin()
    batch_id, _ = make_batch(admin)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        order.erp, order.deployment = "eas", "private"
        authorization.queue_authorization_email(order, db.session.get(AllocationBatch, batch_id))
        db.session.commit()
        text, _ = outbox.body(db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "authorization")))
    assert "对接ERP：EAS" in text and "部署方式：私有化部署" in text
    assert "在 EAS 中打开【金税互联设置】" in text and "私有化环境" in text
    assert "通讯基本设置" in text and "移动云初始化" not in text


def _second_order(app, make_order, admin, email, erp="xinghan", deployment="private"):
    """Another activated order of the same tenant, with its own contact and ERP."""
    from webapp.orm import utcnow
    order_id, _ = make_order(order_no="SO-" + email.split("@")[0].upper(), email=email)
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.tenant_id, order.activated_at = admin["tenant_id"], utcnow()
        order.erp, order.deployment = erp, deployment
        db.session.commit()
    return order_id


def test_rotation_email_goes_to_each_contact_the_credential_concerns(app, make_admin, make_batch,
                                                                    make_order):
    admin = make_admin()
    other_order = _second_order(app, make_order, admin, "finance@example.com")
    _second_order(app, make_order, admin, "BUYER@example.com", "xingkong", "public")  # same person: one email
    _, first_ids = make_batch(admin, count=1)
    _, second_ids = make_batch(admin, count=1, order_id=other_order)
    with app.app_context():
        from webapp.models import Enterprise, User
        actor = db.session.get(User, admin["user_id"])
        tenant_cred = credentials.ensure_tenant_credential(admin["tenant_id"])
        credentials.rotate_secret(tenant_cred, actor=actor)
        assert sorted(authorization.queue_rotation_email(tenant_cred, actor=actor)) == [
            "buyer@example.com", "finance@example.com"]
        enterprise_cred = credentials.ensure_enterprise_credential(db.session.get(Enterprise, second_ids[0]))
        credentials.rotate_secret(enterprise_cred, actor=actor)
        assert authorization.queue_rotation_email(enterprise_cred, actor=actor) == ["finance@example.com"]
        db.session.commit()
        emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "authorization")
                                    .order_by(OutboxEmail.id)).all()
        bodies = {(e.to_addr, e.id): outbox.body(e)[0] for e in emails}
        subjects = [e.subject for e in emails]
        new_tenant = credentials.reveal(tenant_cred)
        new_enterprise = credentials.reveal(enterprise_cred)
    texts = list(bodies.values())
    assert len(texts) == 3 and all(s.startswith("【发票云】授权信息已重置") for s in subjects)
    # Each email says which scope was reset and that the old secret and EncryKey are void.
    scopes = ["租户授权", "租户授权", "企业授权"]
    assert all(f"{scope}密钥已重置，原 client secret 和 EncryKey 已失效" in t
               for scope, t in zip(scopes, texts, strict=True))
    assert all(new_tenant["client_secret"] in t for t in texts)
    finance = [t for (to, _), t in bodies.items() if to == "finance@example.com"]
    assert "星瀚通过【移动云初始化】连接发票云" in finance[0] and "私有化部署" in finance[0]
    assert new_enterprise["encry_key"] in finance[1] and "企业授权" in finance[1]
    buyer = [t for (to, _), t in bodies.items() if to == "buyer@example.com"][0]
    assert "星空企业版：打开【金税互联设置】" in buyer and new_enterprise["encry_key"] not in buyer


def test_concurrent_first_need_makes_one_credential(app, make_admin, make_batch):
    import threading

    admin = make_admin()
    _, ids = make_batch(admin, count=1)
    barrier, results, errors = threading.Barrier(4), [], []

    def worker():
        from webapp.models import Enterprise
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                tenant = credentials.ensure_tenant_credential(admin["tenant_id"])
                enterprise = credentials.ensure_enterprise_credential(db.session.get(Enterprise, ids[0]))
                db.session.commit()
                results.append((tenant.client_id, enterprise.client_id))
        except Exception as exc:  # reported below, with the failing thread's error
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(results)) == 1 and len(results) == 4
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Credential)) == 2


def test_existing_enterprise_credential_is_reused_in_a_later_batch(app, make_admin, make_batch):
    """An enterprise allocated a second product keeps its 企业授权; the email repeats it."""
    from webapp.models import Allocation, Enterprise
    admin = make_admin()
    first_batch, ids = make_batch(admin, count=2)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        authorization.queue_authorization_email(order, db.session.get(AllocationBatch, first_batch))
        db.session.commit()
        before = credentials.reveal(credentials.enterprise_credential(ids[0]))
        second_line = order.lines[1]
        batch = AllocationBatch(token="second", line_id=second_line.id)
        db.session.add(batch)
        db.session.flush()
        db.session.add(Allocation(line_id=second_line.id, enterprise_id=ids[0], batch_id=batch.id))
        second_line.allocated += 1
        authorization.queue_authorization_email(order, batch)
        db.session.commit()
        assert credentials.reveal(credentials.enterprise_credential(ids[0])) == before
        text, _ = outbox.body(db.session.scalars(select(OutboxEmail).where(
            OutboxEmail.kind == "authorization").order_by(OutboxEmail.id.desc())).first())
        other = db.session.get(Enterprise, ids[1])
    assert before["client_secret"] in text and before["encry_key"] in text
    assert "发票云收票" in text and other.tax_id not in text  # only this batch's enterprise


def test_concurrent_emails_for_one_batch_agree_on_the_credentials(app, make_admin, make_batch):
    """Two requests queueing the same batch's email at once: one set of credentials, both emails hold it."""
    import threading

    admin = make_admin()
    batch_id, ids = make_batch(admin, count=3)
    barrier, errors = threading.Barrier(2), []

    def worker():
        try:
            with app.app_context():
                barrier.wait(timeout=30)  # before any query: SQLite's BEGIN IMMEDIATE serialises
                order = db.session.get(Order, admin["order_id"])
                batch = db.session.get(AllocationBatch, batch_id)
                authorization.queue_authorization_email(order, batch)
                db.session.commit()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        # the tenant's and three enterprises', one per environment
        assert db.session.scalar(select(db.func.count()).select_from(Credential)) == 8
        texts = [outbox.body(e)[0] for e in db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "authorization"))]
        values = [credentials.reveal(credentials.enterprise_credential(i)) for i in ids]
    assert len(texts) == 2
    for text in texts:
        for value in values:
            assert value["client_secret"] in text and value["encry_key"] in text
