"""credential.environment: a 测试环境 and a 正式环境 set per tenant and per enterprise; every
credential issued before is the 正式环境 one

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TENANT_SCOPE = sa.text("enterprise_id IS NULL")


def upgrade():
    with op.batch_alter_table("credential") as batch:
        batch.add_column(sa.Column("environment", sa.String(length=10), nullable=False,
                                   server_default="production"))
        batch.create_check_constraint("environment_known",
                                      "environment IN ('test', 'production')")
        batch.drop_constraint(op.f("uq_credential_enterprise_id"), type_="unique")
        batch.create_unique_constraint(op.f("uq_credential_enterprise_id_environment"),
                                       ["enterprise_id", "environment"])
        batch.drop_index("uq_credential_tenant_scope", sqlite_where=TENANT_SCOPE,
                         postgresql_where=TENANT_SCOPE)
        batch.create_index("uq_credential_tenant_scope", ["tenant_id", "environment"], unique=True,
                           sqlite_where=TENANT_SCOPE, postgresql_where=TENANT_SCOPE)


def downgrade():
    op.execute("DELETE FROM connection_check WHERE credential_id IN "
               "(SELECT id FROM credential WHERE environment = 'test')")
    op.execute("DELETE FROM check_token WHERE credential_id IN "
               "(SELECT id FROM credential WHERE environment = 'test')")
    op.execute("DELETE FROM credential WHERE environment = 'test'")
    with op.batch_alter_table("credential") as batch:
        batch.drop_index("uq_credential_tenant_scope", sqlite_where=TENANT_SCOPE,
                         postgresql_where=TENANT_SCOPE)
        batch.create_index("uq_credential_tenant_scope", ["tenant_id"], unique=True,
                           sqlite_where=TENANT_SCOPE, postgresql_where=TENANT_SCOPE)
        batch.drop_constraint(op.f("uq_credential_enterprise_id_environment"), type_="unique")
        batch.create_unique_constraint(op.f("uq_credential_enterprise_id"), ["enterprise_id"])
        batch.drop_constraint(op.f("ck_credential_environment_known"), type_="check")
        batch.drop_column("environment")
