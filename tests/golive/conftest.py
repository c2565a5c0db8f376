import pytest
from factories import allocate

from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import Enterprise


@pytest.fixture
def issued(make_admin, make_batch):
    """A live server, a tenant admin with one allocated enterprise, and its clear credentials."""

    def factory(server, **admin_kw):
        admin = make_admin(**admin_kw)
        (enterprise_id,) = allocate(server.app, admin, make_batch, count=1)
        with server.app.app_context():
            enterprise = db.session.get(Enterprise, enterprise_id)
            cred = credentials.enterprise_credential(enterprise_id)
            values = credentials.reveal(cred)
            tenant = credentials.reveal(credentials.tenant_credential(admin["tenant_id"]))
            return dict(admin=admin, enterprise_id=enterprise_id, tax_id=enterprise.tax_id,
                        credential_id=cred.id, tenant=tenant, **values)

    return factory
