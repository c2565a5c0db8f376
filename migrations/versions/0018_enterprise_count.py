"""tenant.enterprise_count: a tenant's enterprises, kept where they are created, moved or merged
(企业管理 showed count(*) over 10,000 rows on every page), backfilled here

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("enterprise_count", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.execute("UPDATE tenant SET enterprise_count = "
               "(SELECT count(*) FROM enterprise WHERE enterprise.tenant_id = tenant.id)")


def downgrade():
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("enterprise_count")
