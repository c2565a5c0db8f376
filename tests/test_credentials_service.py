"""The credential and authorization-email services, without HTTP."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (Allocation, AllocationBatch, AuditEntry, Credential, Enterprise, Order,
                           OutboxEmail)
from webapp.services import authorization, credentials, outbox


def make_batch(app, admin, names=(("甲公司", "91320500MA1XXXXX01"), ("乙公司", "91320500MA1XXXXX02"))):
    """An allocation batch on the admin's first order line, built directly with models."""
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        line = order.lines[0]
        enterprises = [Enterprise(tenant_id=admin["tenant_id"], name=n, tax_id=t) for n, t in names]
        db.session.add_all(enterprises)
        batch = AllocationBatch(token=f"tok-{line.id}-{len(names)}-{names[0][1]}", line_id=line.id,
                                created_by_id=admin["user_id"])
        db.session.add(batch)
        db.session.flush()
        for e in enterprises:
            db.session.add(Allocation(line_id=line.id, enterprise_id=e.id, batch_id=batch.id,
                                      allocated_by_id=admin["user_id"]))
        line.allocated += len(enterprises)
        db.session.commit()
        return batch.id, [e.id for e in enterprises]


def test_ensure_creates_once_with_16_character_encry_key(app_ctx, make_admin):
    admin = make_admin()
    first = credentials.ensure_tenant_credential(admin["tenant_id"])
    db.session.commit()
    again = credentials.ensure_tenant_credential(admin["tenant_id"])
    assert first.id == again.id
    shown = credentials.reveal(first)
    assert len(shown["encry_key"]) == 16 and shown["encry_key"].isalnum()
    assert shown["client_secret"] not in first.client_secret_enc
    assert shown["encry_key"] not in first.encry_key_enc


def test_queue_authorization_email_lists_batch_credentials(app, make_admin):
    admin = make_admin()
    batch_id, enterprise_ids = make_batch(app, admin)
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
        tenant = credentials.reveal(credentials.tenant_credential(admin["tenant_id"]))
        assert tenant["client_secret"] in text and tenant["encry_key"] in html
        assert "请妥善保存授权邮件，后续配置需使用邮件中的信息" in text
        assert "星空" in text and "公有云" in text
