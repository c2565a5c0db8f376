"""user.session_version: bumped to end every session of a user (logout, password, removal)

Revision ID: 0010
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("session_version")
