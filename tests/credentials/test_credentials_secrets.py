"""Secrets at rest and in logs: key rotation with `credentials reencrypt`, nothing logged."""
import json
import logging

import pytest
from cryptography.fernet import Fernet, InvalidToken
from factories import allocate, login
from fixtures.smtp import html_of, text_of
from sqlalchemy import select

from webapp.core import outbox
from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import AuditEntry, Credential, OutboxEmail


def _all_values(app):
    with app.app_context():
        return {c.id: credentials.reveal(c) for c in db.session.scalars(select(Credential))}


def test_reencrypt_moves_every_secret_to_the_new_key(make_app, make_admin, make_batch):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_app = make_app(DATA_ENCRYPTION_KEY=old_key)
    admin = make_admin()  # its activation email is queued under the default test key...
    with old_app.app_context():  # ...so clear it; this test owns the keys
        for email in db.session.scalars(select(OutboxEmail)):
            email.text_enc = email.html_enc = None
        db.session.commit()
    allocate(old_app, admin, make_batch)
    values = _all_values(old_app)
    with old_app.app_context():
        email_text = outbox.body(db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "authorization")))[0]
    assert len(values) == 6  # tenant and two enterprises, each in both environments

    # a new key in front: old tokens still decrypt, new ones are made with the new key
    both = make_app(DATA_ENCRYPTION_KEY=f"{new_key},{old_key}")
    assert _all_values(both) == values
    result = both.test_cli_runner().invoke(args=["credentials", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 6 credentials and 1 queued emails" in result.output

    # after reencrypt only the new key is needed, and the old key alone no longer works
    only_new = make_app(DATA_ENCRYPTION_KEY=new_key)
    assert _all_values(only_new) == values
    with only_new.app_context():
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "authorization"))
        assert outbox.body(email)[0] == email_text
        cred = db.session.scalars(select(Credential)).first()
        assert Fernet(new_key.encode()).decrypt(cred.client_secret_enc.encode())
        with pytest.raises(InvalidToken):
            Fernet(old_key.encode()).decrypt(cred.client_secret_enc.encode())


def test_secrets_never_reach_logs_or_audit(make_app, make_admin, make_batch, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)  # everything, SQLAlchemy's statements and rows included
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    app.logger.setLevel(logging.DEBUG)
    engine_log = logging.getLogger("sqlalchemy.engine")
    engine_level = engine_log.level
    engine_log.setLevel(logging.DEBUG)
    try:
        admin = make_admin()
        client = app.test_client()
        login(client, admin["email"])

        allocate(app, admin, make_batch)                       # creation + email queueing
        before = _all_values(app)
        for cred_id in before:                                     # reveal
            for field in ("client_secret", "encry_key"):
                assert client.post(f"/credentials/{cred_id}/reveal/{field}").status_code == 200
        rotated_id = next(iter(before))                            # rotation + its email
        assert client.post(f"/credentials/{rotated_id}/rotate", data={"confirmed": "yes"}).status_code == 303
        with app.app_context():
            assert outbox.send_due().sent >= 3                     # sending
        after = _all_values(app)
    finally:
        engine_log.setLevel(engine_level)

    secrets = {v[f] for values in (before, after) for v in values.values()
               for f in ("client_secret", "encry_key")}
    # 3 credentials per environment × 2 fields, +2 new values after the rotation
    assert len(secrets) == 14
    # the loopback SMTP server stands in for the customer's mailbox: it must hold them
    received = "".join(text_of(m) + html_of(m) for m in smtp_server.inbox.messages)
    assert all(s in received for s in secrets)
    app_records = [r for r in caplog.records if not r.name.startswith("mail.log")]  # aiosmtpd
    assert any(r.name.startswith("sqlalchemy.engine") for r in app_records)  # we did capture
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in app_records)
    leaked = [s for s in secrets if s in logged]
    assert leaked == []
    with app.app_context():
        audit = json.dumps([[e.action, e.actor_label, e.detail] for e in db.session.scalars(
            select(AuditEntry))], ensure_ascii=False)
    assert "credential.revealed" in audit and "credential.rotated" in audit
    assert [s for s in secrets if s in audit] == []
